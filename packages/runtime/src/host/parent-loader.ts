/**
 * A worker gets its parent's TypeScript loader. A worker thread inherits the parent's `execArgv`
 * (`--import tsx`, or the `tsx` command's `--import file:///…/tsx/dist/loader.mjs`), but on
 * Node 20 loader hooks do not reach worker threads and tsx registers itself in the main thread
 * only, so a worker could not import the actor's `.ts` module. When the parent preloads tsx, the
 * worker registers tsx's ESM loader itself, from the parent's tsx package (the user's project's,
 * never a copy of the runtime's), before it imports anything.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The options whose value names a module Node loads before the program. */
const PRELOAD_OPTIONS = new Set([
  '--import',
  '--loader',
  '--experimental-loader',
  '--require',
  '-r',
]);

/** The modules `args` (`execArgv`, or NODE_OPTIONS split into words) preload, in their order. */
export function preloadedModules(args: readonly string[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const equals = arg.indexOf('=');
    if (equals > 0 && PRELOAD_OPTIONS.has(arg.slice(0, equals))) {
      found.push(arg.slice(equals + 1));
    } else if (PRELOAD_OPTIONS.has(arg) && i + 1 < args.length) {
      found.push(args[++i] as string);
    }
  }
  return found;
}

/**
 * NODE_OPTIONS split into words as Node splits it: on white space, where a double-quoted part
 * may hold white space and `\` escapes the next character inside quotes.
 */
export function nodeOptionWords(options: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quoted = false;
  for (let i = 0; i < options.length; i++) {
    const c = options[i] as string;
    if (quoted && c === '\\' && i + 1 < options.length) {
      word = (word ?? '') + options[++i];
    } else if (c === '"') {
      quoted = !quoted;
      word ??= '';
    } else if (!quoted && /\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * The package.json of the tsx package a preloaded `specifier` belongs to, resolved as Node
 * resolves a preload (from the working directory), or undefined when it is not tsx's.
 */
export function tsxManifestOf(specifier: string, cwd: string): string | undefined {
  let file: string;
  try {
    if (specifier.startsWith('file:')) {
      file = fileURLToPath(specifier);
    } else if (path.isAbsolute(specifier) || /^\.\.?([\\/]|$)/.test(specifier)) {
      file = path.resolve(cwd, specifier);
    } else {
      if (specifier !== 'tsx' && !specifier.startsWith('tsx/')) return undefined;
      return createRequire(path.join(cwd, 'index.js')).resolve('tsx/package.json');
    }
  } catch {
    return undefined;
  }
  // The nearest package.json with a name is the package the file belongs to.
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    const name = nameIn(manifest);
    if (name !== undefined) return name === 'tsx' ? manifest : undefined;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function nameIn(manifest: string): string | undefined {
  try {
    const name: unknown = JSON.parse(fs.readFileSync(manifest, 'utf8')).name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The ES module a package's `exports` map gives for `subpath` under Node's conditions for an
 * `import` (the first of `node`, `import`, `default` in the map's order, as Node picks).
 */
export function importTarget(exports: unknown, subpath: string): string | undefined {
  const entry =
    typeof exports === 'object' && exports !== null ? Reflect.get(exports, subpath) : undefined;
  return pick(entry);
}

function pick(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (typeof target !== 'object' || target === null || Array.isArray(target)) return undefined;
  for (const [condition, value] of Object.entries(target)) {
    if (!['node', 'import', 'default'].includes(condition)) continue;
    const found = pick(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** From Node 22 on, loader hooks (and tsx's own registration) reach worker threads. */
function hooksReachWorkers(): boolean {
  return Number(process.versions.node.split('.')[0]) >= 22;
}

/**
 * Registers the parent's tsx loader in this worker (tsx's `register()` from `tsx/esm/api`) when
 * the parent preloads tsx and loader hooks do not reach worker threads on this Node; does nothing
 * otherwise.
 */
export async function useParentLoader(): Promise<void> {
  if (hooksReachWorkers()) return;
  const preloads = preloadedModules([
    ...process.execArgv,
    ...nodeOptionWords(process.env.NODE_OPTIONS ?? ''),
  ]);
  for (const specifier of preloads) {
    const manifest = tsxManifestOf(specifier, process.cwd());
    if (manifest === undefined) continue;
    const exports: unknown = JSON.parse(fs.readFileSync(manifest, 'utf8')).exports;
    const api = importTarget(exports, './esm/api');
    if (api === undefined) continue;
    const tsx = (await import(pathToFileURL(path.join(path.dirname(manifest), api)).href)) as {
      register(): unknown;
    };
    tsx.register();
    return;
  }
}
