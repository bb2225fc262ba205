/**
 * The `troupe` command of @troupe/transformer: `check` and its exit codes, and `build` after a
 * compiler that knows nothing of Troupe (plain tsc), which must give what the ts-patch plugin
 * gives under tspc: the same injected info, the same worker bundles, the same manifest.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expectedMarkers } from './support/fixture-projects.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const projects = path.join(root, 'tests/transformer/projects');
const troupe = path.join(root, 'packages/transformer/dist/cli/main.js');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const tspc = path.join(root, 'node_modules/.bin/tspc');

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function node(args: string[], cwd = root) {
  const run = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 60000 });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

/** `file:line TROUPEnnn` of each diagnostic `troupe check` printed. */
function printedCodes(out: string, base: string): string[] {
  return [...out.matchAll(/^(\S+):(\d+):\d+ - (?:error|warning) (TROUPE\d{3}):/gm)]
    .map((m) => `${path.relative(base, path.resolve(root, m[1]))}:${m[2]} ${m[3]}`)
    .sort();
}

describe('troupe check', () => {
  test('exits 1 on errors and prints each diagnostic once, with file:line:col, its code and the fix', () => {
    const { status, out } = node([troupe, 'check', '-p', path.join(projects, 'diagnostics')]);
    expect(status).toBe(1);
    expect(out).toMatch(
      /diagnostics\/mutation\.ts:13:5 - error TROUPE101: method `assign` of threaded actor `Pool`.*\n\s+Fix: /,
    );
    expect(out).not.toMatch(/TS10\d/);
    expect(printedCodes(out, path.join(projects, 'diagnostics'))).toEqual(
      expectedMarkers('diagnostics'),
    );
    expect(out).toMatch(/troupe check: \d+ module\(s\) with actors, \d+ error\(s\)/);
  });

  test('exits 0 when there are only warnings or nothing', () => {
    const clean = node([troupe, 'check', '-p', path.join(projects, 'clean')]);
    expect(clean.out).toMatch(/0 error\(s\), 0 warning\(s\)/);
    expect(clean.status).toBe(0);
    const discovery = node([troupe, 'check', '-p', path.join(projects, 'discovery')]);
    expect(discovery.out).toMatch(/warning TROUPE103/);
    expect(discovery.status).toBe(0);
  });

  test('exits 2 with a message naming the fix when there is no tsconfig or an unknown option', () => {
    const missing = node([troupe, 'check', '-p', path.join(os.tmpdir(), 'no-such-project')]);
    expect(missing.status).toBe(2);
    expect(missing.out).toMatch(/no tsconfig at .*run troupe init/);
    const unknown = node([troupe, 'check', '--frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.out).toMatch(/unknown option --frobnicate/);
  });
});

describe('project references', () => {
  test('a solution tsconfig (files: [] and references) checks every referenced project', () => {
    const { out } = node([troupe, 'check', '-p', path.join(root, 'tsconfig.json')]);
    expect(out).toContain('tests/fixtures-legacy/src/');
    // The samples' actors are clean: they show in the count only.
    const modules = Number((out.match(/troupe check: (\d+) module/) as RegExpMatchArray)[1]);
    expect(modules).toBeGreaterThanOrEqual(15);
    expect(out).toMatch(/tests\/fixtures\/src\/reserved\.ts:\d+:\d+ - error TROUPE108/);
  });
});

describe('troupe init', () => {
  test('on an npm init -y project: adds the packages and settings, says what; a second run changes nothing', () => {
    const dir = tempDir('troupe-init-');
    const npm = spawnSync('npm', ['init', '-y'], { cwd: dir, encoding: 'utf8' });
    expect(npm.status).toBe(0);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      '{\n  // mine\n  "compilerOptions": { "module": "commonjs", "types": ["jest"] }\n}\n',
    );
    const first = node([troupe, 'init', '--no-install'], dir);
    expect(first.status).toBe(0);
    for (const change of [
      'package.json: dependencies.@troupe/runtime = ^0.1.0',
      'package.json: devDependencies.@troupe/transformer = ^0.1.0',
      'package.json: type = "module" (was "commonjs")',
      'tsconfig.json: compilerOptions.module = "NodeNext"',
      'tsconfig.json: compilerOptions.types = ["jest","node"]',
      'tsconfig.json: compilerOptions.plugins += { "transform": "@troupe/transformer" }',
      'tsconfig.json: rewritten as plain JSON (comments are not kept)',
    ]) {
      expect(first.out).toContain(change);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ type: 'module', scripts: { build: 'tsc && troupe build' } });
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'tsconfig.json'), 'utf8'));
    expect(config.compilerOptions).toMatchObject({
      module: 'NodeNext',
      types: ['jest', 'node'],
      plugins: [{ transform: '@troupe/transformer' }],
    });
    const second = node([troupe, 'init', '--no-install'], dir);
    expect(second.out).toBe('troupe init: nothing to change\n');
  });

  test('without a package.json it says to run npm init first', () => {
    const init = node([troupe, 'init', '--no-install'], tempDir('troupe-init-bare-'));
    expect(init.status).toBe(2);
    expect(init.out).toMatch(/no package\.json in .*: run npm init -y first/);
  });
});

/** A tsconfig extending a fixture project's, writing to its own folder. */
function variantConfig(
  project: string,
  config: string,
  outDir: string,
  extra: Record<string, unknown> = {},
): string {
  const dir = tempDir('troupe-config-');
  // ts-patch resolves the plugin from the tsconfig's folder.
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  const file = path.join(dir, 'tsconfig.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      extends: path.join(projects, project, config),
      compilerOptions: { outDir, declaration: false, sourceMap: false, ...extra },
    }),
  );
  return file;
}

/** Every file under a folder, by relative path, with its content. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(dir, file)] = fs.readFileSync(file, 'utf8');
  }
  return files;
}

describe('tsc && troupe build gives what tspc gives', () => {
  const commonjs = { module: 'commonjs', moduleResolution: 'bundler', target: 'ES2015' };
  const cases: [string, string, Record<string, unknown>?][] = [
    ['run', 'tsconfig.json'],
    ['run', 'tsconfig.es2015-legacy.json'],
    ['discovery', 'tsconfig.json'],
    ['discovery', 'tsconfig.json', commonjs],
    ['bundle', 'tsconfig.json'],
  ];
  let built: string | undefined;
  for (const [project, config, extra] of cases) {
    const label = extra ? ' (CommonJS, ES2015)' : '';
    test(`${project}/${config}${label}: the same JavaScript, bundles and manifest`, () => {
      const byPlugin = tempDir('troupe-tspc-');
      const byCommand = tempDir('troupe-tsc-');
      node([tspc, '-p', variantConfig(project, config, byPlugin, extra)]);
      const plainConfig = variantConfig(project, config, byCommand, extra);
      node([tsc, '-p', plainConfig]);
      // Plain tsc ignores the plugin: no info, no bundle yet.
      expect(Object.keys(tree(byCommand)).some((f) => f.includes('.troupe.'))).toBe(false);
      const build = node([troupe, 'build', '-p', plainConfig]);
      expect(build.out).toMatch(/troupe build: [1-9]\d* module\(s\) with actors/);
      const expected = tree(byPlugin);
      expect(Object.keys(expected)).toContain('troupe-manifest.json');
      expect(tree(byCommand)).toEqual(expected);
      if (project === 'run' && config === 'tsconfig.json' && !extra) {
        // Building again changes nothing: the info already there is replaced, not added twice.
        node([troupe, 'build', '-p', plainConfig]);
        expect(tree(byCommand)).toEqual(expected);
        built = byCommand;
      }
    });
  }

  test('the manifest lists each actor class: module, export, kind, methods, bundle and hash', () => {
    const out = built as string;
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'troupe-manifest.json'), 'utf8'));
    expect(manifest.version).toBe(1);
    expect(
      manifest.actors.map((a: { exportName: string; kind: string }) => [a.exportName, a.kind]),
    ).toEqual([
      ['Counter', 'serial'],
      ['Gate', 'async'],
      ['Meeter', 'threaded'],
    ]);
    const counter = manifest.actors[0];
    expect(counter).toMatchObject({
      module: 'program.js',
      bundle: 'program.troupe.js',
      methods: [
        ['incr', false],
        ['inMainThread', false],
      ],
    });
    expect(counter.hash).toMatch(/^sha256-[0-9a-f]{64}$/);
  });

  test('after esbuild`s transpile too: the info goes into its decorator calls and the program runs', async () => {
    const { transformSync } = await import('esbuild');
    const dir = tempDir('troupe-esbuild-');
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    const source = fs.readFileSync(path.join(projects, 'run/program.ts'), 'utf8');
    const { code } = transformSync(source, { loader: 'ts', format: 'esm', target: 'es2022' });
    fs.writeFileSync(path.join(out, 'program.js'), code);
    // As esbuild setups keep it: tsc only type-checks, --outDir says where esbuild wrote.
    const config = path.join(dir, 'tsconfig.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        extends: path.join(projects, 'run/tsconfig.json'),
        compilerOptions: { noEmit: true },
      }),
    );
    const build = node([troupe, 'build', '-p', config, '--outDir', out]);
    expect(build.status).toBe(0);
    expect(fs.readFileSync(path.join(out, 'program.js'), 'utf8')).toMatch(
      /actor\(\{ maxConcurrency: 2 \}, \{ version: 1, module: import\.meta\.url, exportName: 'Meeter', kind: 'threaded'/,
    );
    const program = node([path.join(out, 'program.js')], dir);
    const result = JSON.parse((program.out.match(/RESULT (.*)/) as RegExpMatchArray)[1]);
    expect(result).toMatchObject({ serial: [1, 3, 6], asyncResult: ['k', true], threads: 2 });
  });

  test('--watch builds again after the compiler writes again', async () => {
    const out = tempDir('troupe-watch-');
    const config = variantConfig('run', 'tsconfig.json', out);
    node([tsc, '-p', config]);
    const watcher = spawn(process.execPath, [troupe, 'build', '-p', config, '--watch'], {
      cwd: root,
    });
    let printed = '';
    const waitFor = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(printed)) resolve();
        };
        watcher.stdout.on('data', (chunk) => {
          printed += chunk;
          check();
        });
        watcher.on('exit', () => reject(new Error(`troupe build --watch ended: ${printed}`)));
        check();
      });
    try {
      await waitFor(/watching for changes/);
      const js = path.join(out, 'program.js');
      expect(fs.readFileSync(js, 'utf8')).toMatch(/exportName: 'Counter'/);
      // The compiler writes the file again, without the info: the watcher puts it back.
      node([tsc, '-p', config]);
      // Each build prints a line; the one after the compiler's write puts the info back.
      for (let builds = 2; !/exportName: 'Counter'/.test(fs.readFileSync(js, 'utf8')); builds++) {
        await waitFor(new RegExp(`(troupe build: 1 module[^\\n]*\\n[\\s\\S]*){${builds}}`));
      }
      expect(fs.readFileSync(js, 'utf8')).toMatch(/exportName: 'Counter'/);
    } finally {
      watcher.kill();
    }
  });

  test('with no compiled output, build says to compile first and exits 1', () => {
    const config = variantConfig('run', 'tsconfig.json', tempDir('troupe-empty-'));
    const build = node([troupe, 'build', '-p', config]);
    expect(build.out).toMatch(/no compiled output at .*program\.js\. Compile first/);
    expect(build.status).toBe(1);
  });
});
