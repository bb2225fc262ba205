/**
 * One app with the same actors (serial; async with a Promise-returning non-async method and an
 * async one; a class with only a Promise-returning method; threaded) through every toolchain:
 * each must give the kinds of the analysis, or refuse clearly where no analysis ran. The app is
 * copied to a temporary folder outside the workspace and gets the packages as published: the
 * packed tarballs, installed offline, beside the tools (TypeScript, ts-patch, esbuild, Vite,
 * vitest, jest, tsx) linked from this repository's node_modules.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analysed, resultOf, unanalysed } from './support/toolchain-app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tools = ['typescript', 'ts-patch', 'esbuild', 'vite', 'vitest', 'jest', 'ts-jest', 'tsx'];
let app = '';
const bin = (name: string) => path.join(app, 'node_modules', name);

function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  const done = spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    timeout: 110000,
    env: { ...process.env, TROUPE_SILENCE_TRANSFORMER_WARNING: '1', ...env },
  });
  return { status: done.status, out: `${done.stdout}${done.stderr}` };
}

describe('the same kinds on every toolchain', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-toolchains-'));
    const packs = path.join(dir, 'packs');
    fs.mkdirSync(packs);
    const workspaces = ['contract', 'runtime', 'transformer'].flatMap((w) => [
      '-w',
      `packages/${w}`,
    ]);
    const packed: { name: string; filename: string }[] = JSON.parse(
      execFileSync(npm, ['pack', '--json', '--pack-destination', packs, ...workspaces], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    app = path.join(dir, 'app');
    fs.cpSync(path.join(root, 'tests/toolchains/app'), app, { recursive: true });
    const dependencies = Object.fromEntries([
      ...packed.map((p) => [p.name, `file:${path.join(packs, p.filename)}`]),
      ...[...tools, '@types/node', '@jest/globals'].map((t) => [
        t,
        `file:${path.join(root, 'node_modules', t)}`,
      ]),
    ]);
    const manifest = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
    fs.writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({ ...manifest, dependencies }, null, 2),
    );
    execFileSync(npm, ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: app,
      stdio: 'pipe',
      timeout: 110000,
    });
    const built = run([bin('.bin/tspc'), '-p', '.'], app);
    expect(built.out).toBe('');
  }, 120000);
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('tspc, then node', () => {
    const done = run(['dist/main.js'], app);
    expect(resultOf(done.out)).toEqual(analysed);
  }, 120000);

  test('esbuild with @troupe/transformer/esbuild: one file that runs from an otherwise empty folder', () => {
    expect(run(['build.mjs'], app).status).toBe(0);
    const alone = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-alone-'));
    try {
      fs.copyFileSync(path.join(app, 'out/app.mjs'), path.join(alone, 'app.mjs'));
      expect(fs.readdirSync(alone)).toEqual(['app.mjs']);
      const done = run(['app.mjs'], alone);
      expect(resultOf(done.out)).toEqual(analysed);
    } finally {
      fs.rmSync(alone, { recursive: true, force: true });
    }
  }, 120000);

  test('vitest with @troupe/transformer/vite', () => {
    const done = run([bin('vitest/vitest.mjs'), 'run'], app);
    expect(resultOf(done.out)).toEqual(analysed);
    expect(done.status).toBe(0);
  }, 120000);

  test('jest with preset @troupe/transformer/jest, and no run against a stale build', () => {
    const jest = [bin('jest/bin/jest.js'), '--ci'];
    const esm = { NODE_OPTIONS: '--experimental-vm-modules' };
    const done = run(jest, app, esm);
    expect(resultOf(done.out)).toEqual(analysed);
    expect(done.status).toBe(0);

    const withoutVm = run(jest, app, { NODE_OPTIONS: '' });
    expect(withoutVm.out).toMatch(/NODE_OPTIONS=--experimental-vm-modules jest/);
    expect(withoutVm.status).not.toBe(0);

    const source = path.join(app, 'src/actors.ts');
    const later = new Date(Date.now() + 60000);
    fs.utimesSync(source, later, later);
    try {
      const stale = run(jest, app, esm);
      expect(stale.out).toMatch(/dist\/actors\.js is older than .*src\/actors\.ts/);
      expect(stale.status).not.toBe(0);
    } finally {
      const built = fs.statSync(path.join(app, 'dist/actors.js')).mtime;
      fs.utimesSync(source, built, built);
    }
  }, 240000);

  test('plain tsc without the analysis: the Promise-returning method is refused, never run on another kind', () => {
    const out = path.join(app, 'plain');
    const built = run(
      [bin('typescript/bin/tsc'), '-p', '.', '--outDir', out, '--plugins', 'null'],
      app,
    );
    expect(built.status).toBe(0);
    fs.writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }');
    const done = run([path.join(out, 'main.js')], app);
    expect(resultOf(done.out)).toEqual(unanalysed);
  }, 120000);

  test('tsx: a worker cannot load TypeScript on Node 20, and the error names the fixes', () => {
    const done = run(['--import', 'tsx', 'src/main.ts'], app);
    if (Number(process.versions.node.split('.')[0]) >= 22) {
      // Loader hooks reach workers (tests/node22.test.ts); no analysis ran.
      expect(resultOf(done.out)).toEqual(unanalysed);
      return;
    }
    expect(done.out).toMatch(/ActorDefinitionError: The worker cannot import .*actors\.ts/);
    expect(done.out).toMatch(/@troupe\/transformer\/esbuild/);
  }, 120000);
});
