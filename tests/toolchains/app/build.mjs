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
