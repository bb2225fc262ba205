// One file, out/app.mjs, that runs from a folder holding nothing else: the plugin runs the
// analysis on every .ts file and makes the bundle its actors' worker entry too.
import troupe from '@troupe/transformer/esbuild';
import { build } from 'esbuild';

await build({
  entryPoints: ['src/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: 'out/app.mjs',
  plugins: [troupe()],
  logLevel: 'warning',
});
