import * as path from 'node:path';
import { type TroupePluginOptions as Options, TroupeCompiler, TS_FILE } from './bundler/core';

/** The part of Vite's plugin API the plugin uses (Vite is the user's, not a dependency). */
interface ResolvedConfigLike {
  root: string;
  cacheDir?: string;
}

/**
 * `import troupe from '@troupe/transformer/vite'`, then `plugins: [troupe()]` in vite.config.ts
 * or vitest.config.ts: every `.ts` file of the project goes through TypeScript with the Troupe
 * analysis (the kinds are the type checker's, decorators are lowered). Worker threads cannot load
 * Vite's in-memory modules, so the project is also built, as `tspc` would build it, into
 * `<cacheDir>/troupe` (`node_modules/.vite/troupe`), and the compiled info names those files.
 * For a production bundle that runs on its own, use `@troupe/transformer/esbuild`.
 */
function troupe(options: Options = {}) {
  let compiler: TroupeCompiler | undefined;
  return {
    name: '@troupe/transformer',
    enforce: 'pre' as const,
    configResolved(config: ResolvedConfigLike) {
      const cacheDir = config.cacheDir ?? path.join(config.root, 'node_modules/.vite');
      compiler = new TroupeCompiler(
        options,
        { outDir: path.join(cacheDir, 'troupe') },
        config.root,
      );
      compiler.emitToDisk();
    },
    transform(_code: string, id: string) {
      const file = id.split('?')[0] ?? id;
      if (!compiler || !TS_FILE.test(file) || file.endsWith('.d.ts')) return undefined;
      if (file.includes('/node_modules/') || !path.isAbsolute(file)) return undefined;
      const { code, map } = compiler.compile(path.normalize(file));
      return { code, map: map ?? null };
    },
  };
}

// `export =`: the one export is the plugin, for `import troupe from` in ES modules and CommonJS.
namespace troupe {
  export type TroupePluginOptions = Options;
}
export = troupe;
