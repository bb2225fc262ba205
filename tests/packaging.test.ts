/**
 * The packages as they would be published: every workspace package packed, each tarball's
 * contents checked (README, LICENSE, declared peers, source maps and links that resolve, no
 * stray files), then the runtime's tarballs installed from disk, offline, into a fresh project
 * outside the workspace, where plain JavaScript (ES modules and CommonJS) runs actors.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const workspaces: string[] = JSON.parse(
  fs.readFileSync(path.join(root, 'package.json'), 'utf8'),
).workspaces;

interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

describe('the packages as published', () => {
  let dir: string;
  let packed: Packed[];
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-packs-'));
    const out = execFileSync(
      npm,
      ['pack', '--json', '--pack-destination', dir, ...workspaces.flatMap((w) => ['-w', w])],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    packed = JSON.parse(out);
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

  test('each tarball ships its README and LICENSE, and nothing outside dist/, src/ and its root files', () => {
    for (const pkg of packed) {
      const files = pkg.files.map((f) => f.path);
      expect([pkg.name, files.includes('README.md'), files.includes('LICENSE')]).toEqual([
        pkg.name,
        true,
        true,
      ]);
      const stray = files.filter(
        (f) => !/^(dist|src|language-service)\//.test(f) && !/^[^/]+\.(md|json)$|^LICENSE$/.test(f),
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

  test('installed offline from the tarballs into a fresh project, plain JavaScript runs actors as ES modules and as CommonJS', () => {
    const app = path.join(dir, 'app');
    fs.cpSync(path.join(root, 'tests/toolchains/plain'), app, { recursive: true });
    fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "plain-app", "private": true }');
    const tarballs = packed
      .filter((p) => ['@troupe/contract', '@troupe/runtime'].includes(p.name))
      .map((p) => path.join(dir, p.filename));
    execFileSync(
      npm,
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs],
      { cwd: app, stdio: 'pipe', timeout: 60000 },
    );
    const run = (file: string) => {
      const done = spawnSync(process.execPath, [file], {
        cwd: app,
        encoding: 'utf8',
        env: { ...process.env, TROUPE_SILENCE_TRANSFORMER_WARNING: '1' },
      });
      const line = `${done.stdout}${done.stderr}`.match(/RESULT (.*)/);
      if (!line?.[1]) throw new Error(`${file}: ${done.stdout}${done.stderr}`);
      return JSON.parse(line[1]);
    };
    expect(run('main.mjs')).toEqual({
      serial: [1, 3],
      delayer: 'ActorDefinitionError',
      kinds: ['serial', 'threaded'],
    });
    expect(run('main.cjs')).toEqual({ serial: [1, 3] });
  });
});
