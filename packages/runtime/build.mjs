// Bundles the runtime into dist/ (tsc emits only the declarations). A worker starts by loading
// the runtime, so fewer modules mean faster spawns: dist/index.js (the public API),
// dist/transport.js (the transport seam) and dist/host/entry.js (a worker's main module) share
// one chunk, so a worker and the user's code in it load the same single copy of the runtime.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

await build({
  entryPoints: ['src/index.ts', 'src/transport.ts', 'src/host/entry.ts'],
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
