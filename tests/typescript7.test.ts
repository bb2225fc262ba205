/**
 * A new user's project on npm's default TypeScript (7, which has no JavaScript compiler API and
 * ignores `plugins`): the packages packed as they would be published, installed into an
 * `npm init -y` folder with `typescript@7`, set up by `troupe init`, built with
 * `tsc && troupe build` and run. Kinds, bundles and diagnostics must be those of the tspc build
 * on TypeScript 6. Needs the npm registry (for typescript@7 and @types/node); without it the
 * suite is skipped with a message saying so.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectProgramRan } from './support/fixture-projects.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const projects = path.join(root, 'tests/transformer/projects');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const registryReachable =
  spawnSync(npm, ['view', 'typescript@7', 'version'], { encoding: 'utf8', timeout: 20000 })
    .status === 0;
if (!registryReachable) {
  console.warn('SKIPPED tests/typescript7.test.ts: the npm registry is unreachable from here.');
}
const describeWithRegistry = registryReachable ? describe : describe.skip;

function run(command: string, args: string[], cwd: string) {
  const done = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 110000 });
  return { status: done.status, out: `${done.stdout}${done.stderr}` };
}

describeWithRegistry('a TypeScript 7 project: troupe init, tsc && troupe build, node', () => {
  let dir: string;
  let byPlugin: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-ts7-'));
    const packs = path.join(dir, 'packs');
    fs.mkdirSync(packs);
    for (const pkg of ['contract', 'runtime', 'transformer']) {
      execFileSync(npm, ['pack', '--pack-destination', packs], {
        cwd: path.join(root, 'packages', pkg),
        stdio: 'pipe',
      });
    }
    const app = path.join(dir, 'app');
    fs.mkdirSync(path.join(app, 'src'), { recursive: true });
    execFileSync(npm, ['init', '-y'], { cwd: app, stdio: 'pipe' });
    const tarballs = fs.readdirSync(packs).map((f) => path.join(packs, f));
    execFileSync(
      npm,
      ['install', '--no-audit', '--no-fund', 'typescript@7', '@types/node@^20', ...tarballs],
      { cwd: app, stdio: 'pipe', timeout: 110000 },
    );
    fs.copyFileSync(path.join(projects, 'run/program.ts'), path.join(app, 'src/program.ts'));
    // The same program through the plugin, on TypeScript 6, for comparison.
    byPlugin = path.join(dir, 'tspc');
    execFileSync(
      process.execPath,
      [
        path.join(root, 'node_modules/.bin/tspc'),
        '-p',
        path.join(projects, 'run/tsconfig.json'),
        '--outDir',
        byPlugin,
      ],
      { cwd: root, stdio: 'pipe' },
    );
  }, 120000);
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the project compiles with TypeScript 7, whose tsc is not hidden by the transformer`s own', () => {
    const app = path.join(dir, 'app');
    const version = run(path.join(app, 'node_modules/.bin/tsc'), ['--version'], app);
    expect(version.out).toMatch(/Version 7\./);
  });

  test('troupe init says what it changed, then tsc && troupe build gives the plugin`s kinds and bundles, and the program runs', () => {
    const app = path.join(dir, 'app');
    const init = run(path.join(app, 'node_modules/.bin/troupe'), ['init', '--no-install'], app);
    expect(init.status).toBe(0);
    expect(init.out).toMatch(/package\.json: type = "module"/);
    expect(init.out).toMatch(/tsconfig\.json: compilerOptions\.types = \["node"\]/);
    expect(JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8')).scripts.build).toBe(
      'tsc && troupe build',
    );

    const build = run(npm, ['run', 'build'], app);
    expect(build.out).toMatch(/troupe build: 1 module\(s\) with actors, 0 error\(s\)/);
    expect(build.status).toBe(0);

    const dist = path.join(app, 'dist');
    const read = (d: string, f: string) => fs.readFileSync(path.join(d, f), 'utf8');
    expect(read(dist, 'program.troupe.js')).toBe(read(byPlugin, 'program.troupe.js'));
    const infos = (js: string) => js.match(/\{ version: \d+, module: [^\n]*?\}\)/g);
    expect(infos(read(dist, 'program.js'))).toEqual(infos(read(byPlugin, 'program.js')));
    const withoutHash = (text: string) =>
      JSON.parse(text).actors.map(({ hash, ...entry }: { hash: string }) => entry);
    expect(withoutHash(read(dist, 'troupe-manifest.json'))).toEqual(
      withoutHash(read(byPlugin, 'troupe-manifest.json')),
    );

    const program = run(process.execPath, [path.join(dist, 'program.js')], app);
    expectProgramRan(program.out);
    expect(program.status).toBe(0);
  });

  test('troupe check reports on TypeScript 7 what the plugin reports on 6', () => {
    const app = path.join(dir, 'app');
    const diag = path.join(app, 'diag');
    fs.mkdirSync(diag);
    for (const file of fs.readdirSync(path.join(projects, 'diagnostics'))) {
      if (file.endsWith('.ts'))
        fs.copyFileSync(path.join(projects, 'diagnostics', file), path.join(diag, file));
    }
    fs.writeFileSync(
      path.join(diag, 'tsconfig.json'),
      JSON.stringify({
        extends: '../tsconfig.json',
        compilerOptions: { rootDir: '.', outDir: 'out' },
        include: ['*.ts'],
      }),
    );
    const check = run(path.join(app, 'node_modules/.bin/troupe'), ['check', '-p', 'diag'], app);
    expect(check.status).toBe(1);
    const printed = [
      ...check.out.matchAll(/^diag\/(\S+):(\d+):\d+ - (?:error|warning) (TROUPE\d{3}):/gm),
    ]
      .map((m) => `${m[1]}:${m[2]} ${m[3]}`)
      .sort();
    const plugin = run(
      process.execPath,
      [
        path.join(root, 'node_modules/.bin/tspc'),
        '-p',
        path.join(projects, 'diagnostics'),
        '--noEmit',
        'false',
        '--outDir',
        path.join(dir, 'diag-out'),
        '--pretty',
        'false',
      ],
      root,
    );
    const reported = [...plugin.out.matchAll(/^(\S+)\((\d+),\d+\): (?:error|warning) TS(1\d\d):/gm)]
      .map((m) => `${path.basename(m[1])}:${m[2]} TROUPE${m[3]}`)
      .sort();
    expect(printed.length).toBeGreaterThan(5);
    expect(printed).toEqual(reported);
  });
});
