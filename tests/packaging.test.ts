/**
 * The packages as they would be published: every workspace package packed, each tarball's
 * contents checked (README, LICENSE, declared peers, source maps and links that resolve, no
 * stray files). tests/examples.test.ts installs the tarballs into a copy of every example.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Packed, packWorkspaces, root, workspaces } from './support/examples.js';

describe('the packages as published', () => {
  let dir: string;
  let packed: Packed[];
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-packs-'));
    packed = packWorkspaces(dir);
  }, 60000);
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('every workspace package is packed', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(
      workspaces
        .map((w) => JSON.parse(fs.readFileSync(path.join(root, w, 'package.json'), 'utf8')).name)
        .sort(),
    );
  });

  test('each tarball ships its README and LICENSE, and nothing outside dist/, src/ and its root files (documents, manifests, example configurations)', () => {
    for (const pkg of packed) {
      const files = pkg.files.map((f) => f.path);
      expect([pkg.name, files.includes('README.md'), files.includes('LICENSE')]).toEqual([
        pkg.name,
        true,
        true,
      ]);
      const stray = files.filter(
        (f) =>
          !/^(dist|src|language-service)\//.test(f) &&
          !/^[^/]+\.(md|json|example\.conf)$|^LICENSE$/.test(f),
      );
      expect([pkg.name, stray]).toEqual([pkg.name, []]);
    }
  });

  test('every source map points at files the tarball ships, and every relative link in its markdown too', () => {
    for (const pkg of packed) {
      const workspace = workspaces.find((w) =>
        fs.readFileSync(path.join(root, w, 'package.json'), 'utf8').includes(`"${pkg.name}"`),
      ) as string;
      const files = new Set(pkg.files.map((f) => f.path));
      const missing: string[] = [];
      for (const file of files) {
        const text = fs.readFileSync(path.join(root, workspace, file), 'utf8');
        if (file.endsWith('.map')) {
          for (const source of JSON.parse(text).sources as string[]) {
            const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), source));
            if (!files.has(target)) missing.push(`${file} -> ${source}`);
          }
        } else if (file.endsWith('.md')) {
          for (const [, link] of text.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
            if (!link || /^[a-z]+:/.test(link)) continue;
            const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), link));
            if (!files.has(target) && ![...files].some((f) => f.startsWith(`${target}/`)))
              missing.push(`${file} -> ${link}`);
          }
        }
      }
      expect([pkg.name, missing]).toEqual([pkg.name, []]);
    }
  });

  test('dependencies and peers are declared: @types/node for the runtime`s types, the runtime`s version for the transformer', () => {
    const manifest = (name: string) =>
      JSON.parse(fs.readFileSync(path.join(root, 'packages', name, 'package.json'), 'utf8'));
    const runtime = manifest('runtime');
    expect(runtime.peerDependencies['@types/node']).toBeDefined();
    expect(runtime.dependencies['@troupe/contract']).toBe(manifest('contract').version);
    expect(runtime.engines.node).toBe('>=20.19');
    const transformer = manifest('transformer');
    expect(transformer.peerDependencies['@troupe/runtime']).toBe(runtime.version);
    expect(transformer.dependencies['@troupe/contract']).toBe(manifest('contract').version);
    for (const optional of ['ts-patch', 'esbuild', 'vite', 'ts-jest']) {
      expect(transformer.peerDependenciesMeta[optional]).toEqual({ optional: true });
    }
  });
});
