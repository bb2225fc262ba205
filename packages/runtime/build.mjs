// Bundles the runtime into dist/ (tsc emits only the declarations). A worker starts by loading
// the runtime, so fewer modules mean faster spawns: dist/index.js (the public API),
// dist/transport.js (the transport seam) and dist/host/entry.js (a worker's main module) share
// one chunk, so a worker and the user's code in it load the same single copy of the runtime.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// Chunk names change with their content: drop the JavaScript of earlier builds (tsc's
// declarations stay), so that dist/ and the package hold only what this build wrote.
const dist = fileURLToPath(new URL('dist', import.meta.url));
const built = existsSync(dist) ? readdirSync(dist, { recursive: true, withFileTypes: true }) : [];
for (const entry of built) {
  if (entry.isFile() && /\.js(\.map)?$/.test(entry.name)) {
    rmSync(join(entry.parentPath ?? entry.path, entry.name));
  }
}

await build({
  entryPoints: ['src/index.ts', 'src/transport.ts', 'src/prometheus.ts', 'src/host/entry.ts'],
  outbase: 'src',
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  // Class names travel with errors (ActorDiedError…) and name actors: keep them.
  keepNames: true,
  absWorkingDir: fileURLToPath(new URL('.', import.meta.url)),
  logLevel: 'warning',
});
