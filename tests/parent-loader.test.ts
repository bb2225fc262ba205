/**
 * How a worker finds its parent's tsx (packages/runtime/src/host/parent-loader.ts): the modules
 * the parent preloads, from `execArgv` and NODE_OPTIONS in every spelling Node accepts, and
 * whether one of them is tsx's. tests/examples.test.ts runs the tsx example through it.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  importTarget,
  nodeOptionWords,
  preloadedModules,
  tsxManifestOf,
} from '../packages/runtime/src/host/parent-loader.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsxManifest = path.join(root, 'node_modules/tsx/package.json');

const preloadOption = fc.constantFrom(
  '--import',
  '--loader',
  '--experimental-loader',
  '--require',
  '-r',
);
/** A module name as a preload gives it: no leading `-`, may hold `=`. */
const specifier = fc.string({ minLength: 1 }).filter((s) => !s.startsWith('-'));
/** An argument that preloads nothing (another option, a value, a script). */
const other = fc
  .oneof(
    fc.constantFrom('--inspect', '--enable-source-maps', '--max-old-space-size=64', '-e', '--'),
    fc.string(),
  )
  .filter(
    (s) =>
      !['--import', '--loader', '--experimental-loader', '--require', '-r'].some(
        (o) => s === o || s.startsWith(`${o}=`),
      ),
  );
/** One piece of an argument list, and the module it preloads, if any. */
const piece = fc.oneof(
  fc.tuple(preloadOption, specifier, fc.boolean()).map(([option, spec, joined]) => ({
    args: joined ? [`${option}=${spec}`] : [option, spec],
    preload: [spec],
  })),
  other.map((arg) => ({ args: [arg], preload: [] as string[] })),
);

describe('the modules a parent preloads', () => {
  test('every preload option, joined by = or as two arguments, among any other arguments', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        expect(preloadedModules(pieces.flatMap((p) => p.args))).toEqual(
          pieces.flatMap((p) => p.preload),
        );
      }),
    );
  });

  test('a preload option at the very end, with no value, preloads nothing', () => {
    expect(preloadedModules(['--inspect', '--import'])).toEqual([]);
  });

  test('NODE_OPTIONS: words split on white space, quoted words keep theirs, \\ escapes in quotes', () => {
    const quote = (word: string) => `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    fc.assert(
      fc.property(
        fc.array(fc.string(), { maxLength: 8 }),
        fc.array(fc.constantFrom(' ', '  ', '\t', '\n')),
        (words, gaps) => {
          const text = words.map((w, i) => `${quote(w)}${gaps[i] ?? ' '}`).join('');
          expect(nodeOptionWords(text)).toEqual(words);
        },
      ),
    );
    expect(nodeOptionWords('  --import tsx --enable-source-maps ')).toEqual([
      '--import',
      'tsx',
      '--enable-source-maps',
    ]);
  });
});

describe('whether a preload is tsx', () => {
  test('tsx by name, by subpath, by file URL (the tsx command) and by relative path', () => {
    const loader = path.join(root, 'node_modules/tsx/dist/loader.mjs');
    for (const spec of [
      'tsx',
      'tsx/esm',
      pathToFileURL(loader).href,
      loader,
      './node_modules/tsx/dist/preflight.cjs',
    ]) {
      expect([spec, tsxManifestOf(spec, root)]).toEqual([spec, tsxManifest]);
    }
  });

  test('other packages, files outside tsx and missing modules are not', () => {
    for (const spec of [
      'esbuild',
      'tsxx',
      'ts-node/esm',
      path.join(root, 'node_modules/esbuild/lib/main.js'),
      './no-such-file.mjs',
      'file:///no/such/file.mjs',
    ]) {
      expect([spec, tsxManifestOf(spec, root)]).toEqual([spec, undefined]);
    }
    expect(tsxManifestOf('tsx', path.parse(root).root)).toBeUndefined();
  });

  test('the ES module of an exports entry, under the conditions of an import', () => {
    expect(importTarget({ './esm/api': './a.mjs' }, './esm/api')).toBe('./a.mjs');
    expect(
      importTarget(
        {
          './esm/api': {
            require: { default: './a.cjs' },
            import: { types: 'x', default: './a.mjs' },
          },
        },
        './esm/api',
      ),
    ).toBe('./a.mjs');
    expect(
      importTarget({ './esm/api': { browser: './b.js', default: './d.js' } }, './esm/api'),
    ).toBe('./d.js');
    expect(importTarget({ '.': './x.js' }, './esm/api')).toBeUndefined();
    expect(importTarget(undefined, './esm/api')).toBeUndefined();
  });
});
