/**
 * @troupe/transformer on fixture projects (tests/transformer/projects/*), compiled for real: with
 * the TypeScript API and the transformer as ts-patch loads it (fast, in-process), and with `tspc`
 * itself for the plugin setup and for the program that runs under plain node.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPILED_INFO_VERSION } from '@troupe/contract';
import ts from 'typescript';
import { expectedMarkers, expectProgramRan } from './support/fixture-projects.js';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const projects = path.join(root, 'tests/transformer/projects');
const transformer = require(path.join(root, 'packages/transformer/dist/index.js')).default;

type Target = 'ES2015' | 'ES2022';
type Decorators = 'standard' | 'legacy';
interface Variant {
  target: Target;
  decorators: Decorators;
}
const variants: Variant[] = [
  { target: 'ES2022', decorators: 'standard' },
  { target: 'ES2015', decorators: 'standard' },
  { target: 'ES2022', decorators: 'legacy' },
  { target: 'ES2015', decorators: 'legacy' },
];
const label = (v: Variant) => `${v.target}, ${v.decorators} decorators`;

interface Reported {
  file: string;
  line: number;
  code: number;
  category: 'error' | 'warning';
  text: string;
}

interface Compiled {
  outDir: string;
  diagnostics: Reported[];
  typeErrors: string[];
  read(file: string): string;
  exists(file: string): boolean;
}

const tempDirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

// Library files (lib.*.d.ts, @types/node, the runtime stub) are parsed once for all compilations.
const libraryCache = new Map<string, ts.SourceFile | undefined>();
function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (!fileName.includes('node_modules') && !fileName.includes('runtime-stub')) {
      return getSourceFile(fileName, languageVersion, onError, shouldCreate);
    }
    const key = `${fileName}|${JSON.stringify(languageVersion)}`;
    if (!libraryCache.has(key)) {
      libraryCache.set(key, getSourceFile(fileName, languageVersion, onError, shouldCreate));
    }
    return libraryCache.get(key);
  };
  return host;
}

function summarize(d: ts.Diagnostic, base: string): Reported {
  const file = d.file ? path.relative(base, d.file.fileName) : '';
  const line =
    d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
  return {
    file,
    line,
    code: d.code,
    category: d.category === ts.DiagnosticCategory.Error ? 'error' : 'warning',
    text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  };
}

/** Compiles a fixture project in-process, the way ts-patch runs the plugin, into a temp dir. */
function compile(project: string, variant: Variant, extra: ts.CompilerOptions = {}): Compiled {
  const base = path.join(projects, project);
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(base, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  ) as ts.ParsedCommandLine;
  const outDir = tempDir(`troupe-${project}-`);
  const options: ts.CompilerOptions = {
    ...parsed.options,
    outDir,
    target: ts.ScriptTarget[variant.target],
    experimentalDecorators: variant.decorators === 'legacy',
    declaration: false,
    sourceMap: false,
    ...extra,
  };
  const program = ts.createProgram(parsed.fileNames, options, cachingHost(options));
  const reported: ts.Diagnostic[] = [];
  const before = transformer(
    program,
    {},
    { ts, addDiagnostic: (d: ts.Diagnostic) => reported.push(d) },
  );
  program.emit(undefined, undefined, undefined, false, { before: [before] });
  const typeErrors = ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${summarize(d, base).file}:${summarize(d, base).line} ${summarize(d, base).text}`);
  return {
    outDir,
    diagnostics: reported.map((d) => summarize(d, base)),
    typeErrors,
    read: (file) => fs.readFileSync(path.join(outDir, file), 'utf8'),
    exists: (file) => fs.existsSync(path.join(outDir, file)),
  };
}

/** The compiled actor info injected for an export name, evaluated. */
function metaOf(js: string, exportName: string): Record<string, unknown> | undefined {
  const at = js.indexOf(`exportName: '${exportName}'`);
  if (at < 0) return undefined;
  const start = js.lastIndexOf('{ version:', at);
  let depth = 0;
  let end = start;
  for (; end < js.length; end++) {
    if ('{['.includes(js[end])) depth++;
    if ('}]'.includes(js[end]) && --depth === 0) break;
  }
  const text = js
    .slice(start, end + 1)
    .replace(/new URL\(('[^']*'), import\.meta\.url\)\.href/g, '$1')
    .replace(/import\.meta\.url/g, "'MODULE_URL'");
  const { version, ...meta } = new Function(`return (${text});`)();
  // Every injected info carries the contract's version, which the runtime checks.
  if (version !== COMPILED_INFO_VERSION) throw new Error(`compiled info version ${version}`);
  return meta;
}

const codesAndLines = (c: Compiled) =>
  c.diagnostics.map((d) => `${d.file}:${d.line} TROUPE${d.code}`).sort();

describe('discovery, kind and method table', () => {
  for (const variant of variants) {
    describe(label(variant), () => {
      let out: Compiled;
      beforeAll(() => {
        out = compile('discovery', variant);
      });

      test('the fixture type-checks', () => {
        expect(out.typeErrors).toEqual([]);
      });

      test('a renamed import is found; private and static methods stay out of the table', () => {
        expect(metaOf(out.read('renamed.js'), 'Renamed')).toEqual({
          module: 'MODULE_URL',
          exportName: 'Renamed',
          kind: 'serial',
          methods: [['incr', false]],
        });
      });

      test('a namespace import is found; maxConcurrency 4 makes a sync actor threaded', () => {
        expect(metaOf(out.read('namespace.js'), 'Hasher')).toMatchObject({
          kind: 'threaded',
          methods: [['hash', false]],
        });
      });

      test('a re-export is found; Promise return types (declared, inferred, inherited) make methods async', () => {
        const meta = metaOf(out.read('reexported.js'), 'Fetcher');
        expect(meta).toMatchObject({ exportName: 'Fetcher', kind: 'async' });
        expect(new Map(meta?.methods as [string, boolean][])).toEqual(
          new Map([
            ['get', true],
            ['later', true],
            ['size', false],
            ['run', true],
            ['describe', false],
            ['load', true],
          ]),
        );
        expect(meta).not.toHaveProperty('bundle');
      });

      test('const limits and concurrency groups make threaded actors; maxConcurrency 1 stays serial', () => {
        const js = out.read('kinds.js');
        expect(metaOf(js, 'ConstThreads')).toMatchObject({ kind: 'threaded' });
        expect(metaOf(js, 'Grouped')).toMatchObject({
          kind: 'threaded',
          methods: [
            ['read', false],
            ['crunch', false],
          ],
        });
        expect(metaOf(js, 'OneAtATime')).toMatchObject({ kind: 'serial' });
        expect(metaOf(js, 'Explicit')).toMatchObject({ kind: 'threaded' });
      });

      test('an actor exported under another name, or not at all, is loaded from a bundle', () => {
        const js = out.read('kinds.js');
        expect(metaOf(js, 'PublicName')).toMatchObject({
          kind: 'serial',
          bundle: './kinds.troupe.js',
        });
        expect(metaOf(js, 'Unexported')).toMatchObject({ bundle: './kinds.troupe.js' });
        const bundle = out.read('kinds.troupe.js');
        expect(bundle).toMatch(/export \{ Renamed2 as PublicName \}/);
        expect(bundle).toMatch(/export \{ Unexported as Unexported \}/);
      });

      test('a decorator that is not the runtime`s is left alone', () => {
        expect(out.read('not-an-actor.js')).not.toMatch(/exportName/);
      });

      test('a thread-safe module gets no bundle', () => {
        expect(out.exists('renamed.troupe.js')).toBe(false);
        expect(out.exists('reexported.troupe.js')).toBe(false);
      });

      test('the only findings are the sync methods of the async actor (TROUPE103)', () => {
        expect(codesAndLines(out)).toEqual([
          'reexported.ts:17 TROUPE103',
          'reexported.ts:24 TROUPE103',
        ]);
      });
    });
  }
});

/** The JavaScript files under a folder, by relative path (the manifest is checked elsewhere). */
function emittedFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(dir, file).split(path.sep).join('/')] = fs.readFileSync(file, 'utf8');
  }
  return files;
}

/**
 * Golden files, as ts-transformer-keys keeps them: the whole emitted output of a fixture project
 * at each target, under `<project>/__expected__/<variant>/`. `UPDATE_GOLDEN=1 npm test` rewrites
 * them; review the diff.
 */
describe('golden output', () => {
  const goldenVariants: [string, Variant][] = [
    ['es2022-standard', { target: 'ES2022', decorators: 'standard' }],
    ['es2015-legacy', { target: 'ES2015', decorators: 'legacy' }],
  ];
  for (const project of ['discovery', 'bundle']) {
    for (const [name, variant] of goldenVariants) {
      test(`${project}, ${name}: every emitted file equals __expected__/${name}`, () => {
        const actual = emittedFiles(compile(project, variant).outDir);
        const expectedDir = path.join(projects, project, '__expected__', name);
        if (process.env.UPDATE_GOLDEN) {
          fs.rmSync(expectedDir, { recursive: true, force: true });
          for (const [file, text] of Object.entries(actual)) {
            fs.mkdirSync(path.dirname(path.join(expectedDir, file)), { recursive: true });
            fs.writeFileSync(path.join(expectedDir, file), text);
          }
        }
        if (!fs.existsSync(expectedDir)) {
          throw new Error(`no golden files in ${expectedDir}: run UPDATE_GOLDEN=1 npm test`);
        }
        expect(actual).toEqual(emittedFiles(expectedDir));
      });
    }
  }
});

describe('diagnostics', () => {
  const diagnosticVariants: Variant[] = [variants[0], variants[3]];
  for (const variant of diagnosticVariants) {
    describe(label(variant), () => {
      let bad: Compiled;
      let clean: Compiled;
      beforeAll(() => {
        bad = compile('diagnostics', variant);
        clean = compile('clean', variant);
      });

      test('the fixtures type-check', () => {
        expect(bad.typeErrors).toEqual([]);
        expect(clean.typeErrors).toEqual([]);
      });

      test('each mistake is reported with its code on its line (the `expect` markers)', () => {
        expect(codesAndLines(bad)).toEqual(expectedMarkers('diagnostics'));
      });

      test('correct actors produce no diagnostics', () => {
        expect(clean.diagnostics).toEqual([]);
      });

      test('severity follows the code; each message says what to do', () => {
        const severity = new Map(bad.diagnostics.map((d) => [d.code, d.category]));
        expect(Object.fromEntries(severity)).toEqual({
          101: 'error',
          102: 'warning',
          103: 'warning',
          104: 'error',
          105: 'error',
          106: 'warning',
          108: 'error',
          109: 'warning',
          110: 'error',
        });
        for (const d of bad.diagnostics) expect(d.text).toMatch(/^[^\n]+\n\s*Fix: .+/);
      });

      test('a TROUPE101 message names the actor, method and field', () => {
        const alias = bad.diagnostics.find(
          (d) => d.code === 101 && d.text.includes('throughAlias'),
        );
        expect(alias?.text).toMatch(
          /threaded actor `Pool`.*field `items` through the alias `items`/,
        );
      });
    });
  }
});

describe('worker bundles for modules with top-level code', () => {
  for (const variant of [variants[0], variants[3]]) {
    describe(label(variant), () => {
      let out: Compiled;
      beforeAll(() => {
        out = compile('bundle', variant);
      });

      test('the actor and what it references go into <module>.troupe.js, the program does not', () => {
        const bundle = out.read('app.troupe.js');
        expect(bundle.split('\n')[0]).toBe('// Worker bundle generated by @troupe/transformer.');
        for (const needed of [
          /class Helper/,
          /function shout/,
          /const GREETING = 'hello'/,
          /from '\.\/format\.js'/,
        ]) {
          expect(bundle).toMatch(needed);
        }
        expect(bundle).toMatch(/export \{ Greeter \}|export class Greeter|exports\.Greeter/);
        for (const program of [/top-level code runs here/, /unrelated/, /spawn/]) {
          expect(bundle).not.toMatch(program);
        }
      });

      test('the module and its bundle carry the same compiled info, pointing at the bundle', () => {
        const expected = {
          exportName: 'Greeter',
          kind: 'serial',
          methods: [['greet', false]],
          bundle: './app.troupe.js',
        };
        expect(metaOf(out.read('app.js'), 'Greeter')).toEqual({
          module: 'MODULE_URL',
          ...expected,
        });
        expect(metaOf(out.read('app.troupe.js'), 'Greeter')).toEqual({
          module: './app.js',
          ...expected,
        });
      });

      test('state the program builds (a server started and awaited, a URL from its port) is TROUPE107 and stays out of the bundle', () => {
        const bundle = out.read('server.troupe.js');
        expect(bundle).toMatch(/const retries = 3/);
        expect(bundle).toMatch(/exportName: 'Fetcher'/);
        for (const setup of [/createServer/, /listen/, /once\(/, /const base/]) {
          expect(bundle).not.toMatch(setup);
        }
        const base = out.diagnostics.find((d) => d.file === 'server.ts');
        expect(base?.text).toMatch(
          /reads `base`, which is computed from `server`, which is built when the module loads and then used by its top-level code \(line 8\)/,
        );
      });

      test('a thread-safe module it imports is loaded as it is', () => {
        expect(out.exists('format.troupe.js')).toBe(false);
      });

      test('an actor reading state the top-level code sets up, or importing program code, is an error (TROUPE107)', () => {
        expect(codesAndLines(out)).toEqual(expectedMarkers('bundle'));
        const texts = out.diagnostics.map((d) => d.text).join('\n');
        expect(texts).toMatch(
          /reads `config`, which the module's top-level code sets up \(line 21\)/,
        );
        expect(texts).toMatch(
          /loads program-code\.ts, whose top-level code \(line 3\) would run again/,
        );
      });
    });
  }
});

describe('CommonJS output', () => {
  test('the module URL comes from __filename, and the bundle is CommonJS too', () => {
    const out = compile('discovery', variants[1], {
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
    });
    expect(out.read('renamed.js')).toMatch(
      /module: require\('url'\)\.pathToFileURL\(__filename\)\.href,\s*exportName: 'Renamed'/,
    );
    const bundle = out.read('kinds.troupe.js');
    expect(bundle).toMatch(/exports\.PublicName = /);
    expect(bundle).toMatch(/pathToFileURL\(require\('path'\)\.join\(__dirname, 'kinds\.js'\)\)/);
    expect(bundle).not.toMatch(/^import /m);
  });
});

describe('the ts-patch plugin under tspc', () => {
  test('tspc loads it from the package and reports TROUPE diagnostics as compiler errors', () => {
    const outDir = tempDir('troupe-tspc-');
    const result = spawnSync(
      process.execPath,
      [
        path.join(root, 'node_modules/.bin/tspc'),
        '-p',
        path.join(projects, 'diagnostics'),
        '--outDir',
        outDir,
        '--pretty',
        'false',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(
      /mutation\.ts\(13,5\): error TS101: method `assign` of threaded actor `Pool`/,
    );
    expect(result.stdout).toMatch(/counter-lib\.ts\(1,5\): warning TS102: module-level state/);
    expect(result.stdout).toMatch(/Fix: /);
    expect(fs.readFileSync(path.join(outDir, 'groups.js'), 'utf8')).toMatch(
      /exportName: 'Grouped'/,
    );
  });
});

describe('the language-service plugin', () => {
  const init = require(path.join(root, 'packages/transformer/language-service'));
  const base = path.join(projects, 'diagnostics');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(base, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => undefined,
    },
  ) as ts.ParsedCommandLine;
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => parsed.options,
    getScriptFileNames: () => parsed.fileNames,
    getScriptVersion: () => '1',
    getScriptSnapshot: (f) =>
      fs.existsSync(f) ? ts.ScriptSnapshot.fromString(fs.readFileSync(f, 'utf8')) : undefined,
    getCurrentDirectory: () => base,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
  };

  test('an editor on TypeScript 6 gets TROUPE diagnostics with its semantic ones, as the build reports them', () => {
    const service = init({ typescript: ts }).create({
      languageService: ts.createLanguageService(host),
      config: {},
    });
    const lines = (file: string) =>
      service
        .getSemanticDiagnostics(path.join(base, file))
        .filter((d: ts.Diagnostic) => d.source === 'troupe')
        .map((d: ts.Diagnostic) => `${file}:${summarize(d, base).line} TROUPE${d.code}`);
    const files = fs.readdirSync(base).filter((f) => f.endsWith('.ts'));
    expect(files.flatMap(lines).sort()).toEqual(expectedMarkers('diagnostics'));
  });

  test('on another TypeScript it leaves the service as it is', () => {
    const service = ts.createLanguageService(host);
    const created = init({ typescript: { versionMajorMinor: '7.0', version: '7.0.2' } }).create({
      languageService: service,
    });
    expect(created).toBe(service);
  });
});

describe('the plugin on another TypeScript', () => {
  test('compiles nothing and says to build with tsc && troupe build (TROUPE111)', () => {
    const reported: ts.Diagnostic[] = [];
    const before = transformer(
      undefined,
      {},
      {
        ts: { versionMajorMinor: '5.9', version: '5.9.3' },
        addDiagnostic: (d: ts.Diagnostic) => reported.push(d),
      },
    );
    const source =
      "import { actor } from '@troupe/runtime';\n@actor()\nexport class A { run(): number { return 1; } }\n";
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      transformers: { before: [before] },
    });
    expect(outputText).not.toMatch(/exportName/);
    expect(reported.map((d) => d.code)).toEqual([111]);
    const text = ts.flattenDiagnosticMessageText(reported[0].messageText, '\n');
    expect(text).toMatch(/analyses with TypeScript 6\.0, and this compiler is TypeScript 5\.9\.3/);
    expect(text).toMatch(/Fix: build with `tsc` and then `troupe build`/);
  });
});

describe('the ts-jest adapter', () => {
  const jest = require(path.join(root, 'packages/transformer/dist/jest.js'));
  const source = fs.readFileSync(path.join(projects, 'discovery/reexported.ts'), 'utf8');
  const fileName = path.join(projects, 'discovery/reexported.ts');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(projects, 'discovery/tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: () => undefined,
    },
  ) as ts.ParsedCommandLine;

  test('exports what ts-jest expects', () => {
    expect(jest.name).toBe('@troupe/transformer');
    expect(typeof jest.version).toBe('number');
    expect(typeof jest.factory).toBe('function');
  });

  test('without a program (isolated modules) it takes the kinds from the build`s manifest, naming the files tspc writes', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-jest-adapter-'));
    try {
      const options = { ...parsed.options, outDir: out };
      const before = jest.factory(
        {
          program: undefined,
          configSet: { compilerModule: ts, parsedTsConfig: { ...parsed, options } },
        },
        {},
      );
      const barrelFree = source.replace("from './barrel.js'", "from '@troupe/runtime'");
      const transpile = () =>
        ts.transpileModule(barrelFree, {
          fileName,
          compilerOptions: { ...options, module: ts.ModuleKind.ESNext },
          transformers: { before: [before] },
        }).outputText;
      // No build: refused, with the fix.
      expect(transpile).toThrow(/there is none at .*reexported\.js\. Run the build/);
      fs.writeFileSync(path.join(out, 'reexported.js'), '// built\n');
      // A build whose manifest does not list the actor: refused, never guessed.
      expect(transpile).toThrow(/does not list Fetcher of reexported\.js/);
      const methods = [
        ['get', true],
        ['size', false],
      ];
      fs.writeFileSync(
        path.join(out, 'troupe-manifest.json'),
        JSON.stringify({
          version: 1,
          actors: [{ module: 'reexported.js', exportName: 'Fetcher', kind: 'async', methods }],
        }),
      );
      const meta = metaOf(transpile(), 'Fetcher');
      expect(meta).toMatchObject({
        module: `file://${path.join(out, 'reexported.js')}`,
        exportName: 'Fetcher',
        kind: 'async',
        methods,
      });
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('the ts-jest adapter, syntax only', () => {
  test('a build older than the test`s source fails the test module when it loads, even from jest`s cache', () => {
    const fresh = require(path.join(root, 'packages/transformer/dist/jest-fresh.js'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-fresh-'));
    try {
      const src = path.join(dir, 'a.ts');
      const js = path.join(dir, 'a.js');
      fs.writeFileSync(src, '');
      expect(() => fresh.assertFreshBuild(src, js)).toThrow(/there is none at .*a\.js/);
      fs.writeFileSync(js, '');
      const past = new Date(Date.now() - 60000);
      fs.utimesSync(js, past, past);
      expect(() => fresh.assertFreshBuild(src, js)).toThrow(/a\.js is older than .*a\.ts/);
      fs.utimesSync(src, past, past);
      expect(() => fresh.assertFreshBuild(src, js)).not.toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the ts-jest adapter inside jest', () => {
  test('ts-jest loads it from astTransformers and its output carries the compiled info', () => {
    const project = path.join(projects, 'jest-adapter');
    // The adapter refuses a test whose actors' build is missing: this stands in for it.
    const built = path.join(project, 'actor.check.js');
    fs.writeFileSync(built, '// the build the workers would load\n');
    const run = spawnSync(
      process.execPath,
      [
        '--experimental-vm-modules',
        path.join(root, 'node_modules/jest/bin/jest.js'),
        '--config',
        path.join(project, 'jest.config.js'),
        '--rootDir',
        project,
      ],
      { cwd: root, encoding: 'utf8', timeout: 50000 },
    );
    fs.rmSync(built, { force: true });
    const output = `${run.stdout}${run.stderr}`;
    expect(output).toMatch(/SEEN .*"kind":"async","methods":\[\["later",true\]\]/);
    expect(run.status).toBe(0);
  });
});

describe('a one-file program under plain node', () => {
  const project = path.join(projects, 'run');
  for (const [config, outDir] of [
    ['tsconfig.json', 'dist/es2022-standard'],
    ['tsconfig.es2015-legacy.json', 'dist/es2015-legacy'],
  ]) {
    test(`its top-level code runs once, in the main thread, with serial, async and threaded actors (${outDir})`, () => {
      const runtime = path.join(root, 'packages/runtime/dist/index.js');
      if (!fs.existsSync(runtime)) throw new Error('build @troupe/runtime first (npm run build)');
      fs.rmSync(path.join(project, outDir), { recursive: true, force: true });
      execFileSync(
        process.execPath,
        [path.join(root, 'node_modules/.bin/tspc'), '-p', path.join(project, config)],
        {
          cwd: root,
          encoding: 'utf8',
        },
      );
      expect(fs.existsSync(path.join(project, outDir, 'program.troupe.js'))).toBe(true);
      const run = spawnSync(process.execPath, [path.join(project, outDir, 'program.js')], {
        cwd: project,
        encoding: 'utf8',
        timeout: 30000,
      });
      expect(run.stderr).not.toMatch(/FAILED/);
      expectProgramRan(run.stdout);
      expect(run.status).toBe(0);
    });
  }
});
