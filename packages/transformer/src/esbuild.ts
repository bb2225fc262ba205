import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type TroupePluginOptions as Options,
  registryKeys,
  TroupeCompiler,
  TS_FILE,
} from './bundler/core';

/** The part of esbuild's plugin API the plugin uses (esbuild is the user's, not a dependency). */
interface EsbuildLike {
  initialOptions: {
    entryPoints?: string[] | Record<string, string> | { in: string; out: string }[];
    format?: 'esm' | 'cjs' | 'iife';
    absWorkingDir?: string;
    keepNames?: boolean;
  };
  onStart(cb: () => void): void;
  onResolve(
    options: { filter: RegExp; namespace?: string },
    cb: (args: { path: string; importer: string; resolveDir: string }) => unknown,
  ): void;
  onLoad(
    options: { filter: RegExp; namespace?: string },
    cb: (args: { path: string }) => unknown,
  ): void;
}

const ENTRY_NS = 'troupe-entry';
const WORKER_NS = 'troupe-worker';

/**
 * `import troupe from '@troupe/transformer/esbuild'`, then `plugins: [troupe()]` with
 * `bundle: true`: every `.ts` file goes through TypeScript with the Troupe analysis (the kinds are
 * the type checker's, decorators are lowered), and each entry point becomes the actors' worker
 * entry too, so the bundle runs from a folder holding nothing else. Worker threads start the
 * bundle itself; it serves an actor there instead of running the app, loading the actor's module
 * (or its worker bundle, for modules with top-level effects) from the bundle's registry.
 */
function troupe(options: Options = {}) {
  return {
    name: '@troupe/transformer',
    setup(build: EsbuildLike) {
      const cwd = build.initialOptions.absWorkingDir ?? process.cwd();
      const compiler = new TroupeCompiler(options, 'registry', cwd);
      const cjs = build.initialOptions.format === 'cjs';
      // Class names name actors (and errors): renaming them in the bundle would change both.
      build.initialOptions.keepNames = true;
      build.initialOptions.entryPoints = wrapEntries(build.initialOptions.entryPoints, cwd);

      build.onResolve({ filter: new RegExp(`^${ENTRY_NS}:`) }, (args) => ({
        path: args.path.slice(ENTRY_NS.length + 1),
        namespace: ENTRY_NS,
      }));
      build.onLoad({ filter: /.*/, namespace: ENTRY_NS }, (args) => ({
        contents: entrySource(compiler, args.path, cjs),
        resolveDir: path.dirname(args.path),
        loader: 'js',
      }));

      build.onResolve({ filter: new RegExp(`^${WORKER_NS}:`) }, (args) => ({
        path: args.path.slice(WORKER_NS.length + 1),
        namespace: WORKER_NS,
      }));
      build.onLoad({ filter: /.*/, namespace: WORKER_NS }, (args) => ({
        contents: compiler.compile(args.path).workerBundle ?? '',
        resolveDir: path.dirname(args.path),
        loader: 'js',
      }));

      build.onLoad({ filter: TS_FILE, namespace: 'file' }, (args) => {
        if (args.path.endsWith('.d.ts') || args.path.includes(`${path.sep}node_modules${path.sep}`))
          return undefined;
        const { code, map } = compiler.compile(args.path);
        return {
          contents: withInlineMap(code, map),
          loader: 'js',
          resolveDir: path.dirname(args.path),
        };
      });
    },
  };
}

// `export =`: the one export is the plugin, for `import troupe from` in ES modules and CommonJS.
namespace troupe {
  export type TroupePluginOptions = Options;
}
export = troupe;

function withInlineMap(code: string, map: string | undefined): string {
  if (!map) return code;
  return `${code}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(map).toString('base64')}\n`;
}

function wrapEntries(
  entries: EsbuildLike['initialOptions']['entryPoints'],
  cwd: string,
): EsbuildLike['initialOptions']['entryPoints'] {
  const wrap = (file: string) => `${ENTRY_NS}:${path.resolve(cwd, file)}`;
  const outName = (file: string) => path.basename(file).replace(/\.[^.]*$/, '');
  if (!entries) return entries;
  if (Array.isArray(entries)) {
    return (entries as (string | { in: string; out: string })[]).map((entry) =>
      typeof entry === 'string'
        ? { in: wrap(entry), out: outName(entry) }
        : { in: wrap(entry.in), out: entry.out },
    );
  }
  return Object.fromEntries(Object.entries(entries).map(([out, file]) => [out, wrap(file)]));
}

/**
 * An entry point of the bundle: registers where workers find the actors, then either serves an
 * actor (in a worker the runtime started from this bundle) or runs the app.
 */
function entrySource(compiler: TroupeCompiler, entry: string, cjs: boolean): string {
  const modules: string[] = [];
  for (const file of compiler.sourceFiles()) {
    if (!fs.readFileSync(file, 'utf8').includes('@')) continue;
    const compiled = compiler.compile(file);
    if (!compiled.hasActors) continue;
    const keys = registryKeys(compiler.root, file);
    modules.push(`  ${JSON.stringify(keys.module)}: () => import(${JSON.stringify(file)}),`);
    if (compiled.workerBundle) {
      modules.push(
        `  ${JSON.stringify(keys.bundle)}: () => import(${JSON.stringify(`${WORKER_NS}:${file}`)}),`,
      );
    }
  }
  const self = cjs ? "require('node:url').pathToFileURL(__filename).href" : 'import.meta.url';
  return [
    "import { isMainThread } from 'node:worker_threads';",
    `globalThis[Symbol.for('troupe.bundle')] = { entry: ${self}, modules: {`,
    ...modules,
    '} };',
    "if (!isMainThread && process.argv.includes('--troupe-host')) import('@troupe/runtime/host-entry');",
    `else import(${JSON.stringify(entry)});`,
    '',
  ].join('\n');
}
