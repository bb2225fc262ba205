/**
 * The transformer's layout as rules: one TypeScript (its own, through src/typescript.ts), and the
 * flow discover → checks → emit, where a step imports only the steps before it. The contract
 * package depends on nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'packages/transformer/src');

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(src, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(src, file), 'utf8');
  return [...text.matchAll(/^(?:import|export)[^;]*? from '([^']+)';/gms)].map((m) => m[1]);
}

describe('transformer layout', () => {
  test('only src/typescript.ts imports typescript: every module analyses with the pinned 6.0', () => {
    const importers = sources(src).filter((f) => importsOf(f).includes('typescript'));
    expect(importers).toEqual(['typescript.ts']);
  });

  test('discover/ imports neither checks/ nor emit/, and checks/ does not import emit/', () => {
    const wrong: string[] = [];
    for (const file of sources(src)) {
      const step = file.split('/')[0];
      for (const spec of importsOf(file)) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        const forbidden =
          (step === 'discover' && /^(checks|emit)\//.test(target)) ||
          (step === 'checks' && /^emit\//.test(target));
        if (forbidden) wrong.push(`${file} imports ${spec}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test('@troupe/contract has no dependencies and imports nothing', () => {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(root, 'packages/contract/package.json'), 'utf8'),
    );
    expect(pkg.dependencies ?? {}).toEqual({});
    const text = fs.readFileSync(path.join(root, 'packages/contract/src/index.ts'), 'utf8');
    expect(text).not.toMatch(/^import /m);
  });
});
