/**
 * @troupe/contract: the kind rule both packages call, over generated facts; the transformer
 * feeding it what it reads from generated actor classes; and the runtime refusing compiled info
 * of another version.
 */
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import {
  type ActorKind,
  COMPILED_INFO_VERSION,
  decideKind,
  type KindFacts,
  RESERVED_METHODS,
} from '@troupe/contract';
import { ActorDefinitionError, actor } from '@troupe/runtime';
import fc from 'fast-check';
import ts from 'typescript';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const transformer = require(path.join(root, 'packages/transformer/dist/index.js')).default;

const kinds: ActorKind[] = ['serial', 'async', 'threaded'];
const facts = fc.record(
  {
    declared: fc.constantFrom(...kinds),
    hasAsyncMethod: fc.boolean(),
    maxConcurrency: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constant<'unknown'>('unknown')),
    hasConcurrencyGroups: fc.boolean(),
  },
  { requiredKeys: ['hasAsyncMethod', 'hasConcurrencyGroups'] },
);

describe('decideKind', () => {
  test('a declared kind always wins', () => {
    fc.assert(
      fc.property(facts, fc.constantFrom(...kinds), (f, kind) => {
        expect(decideKind({ ...f, declared: kind })).toBe(kind);
      }),
    );
  });

  test('any async method makes an async actor', () => {
    fc.assert(
      fc.property(facts, (f) => {
        expect(decideKind({ ...f, declared: undefined, hasAsyncMethod: true })).toBe('async');
      }),
    );
  });

  test('without async methods: threaded exactly when more than one call may run at once', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const g: KindFacts = { ...f, declared: undefined, hasAsyncMethod: false };
        const concurrent =
          g.hasConcurrencyGroups || g.maxConcurrency === 'unknown' || (g.maxConcurrency ?? 1) > 1;
        expect(decideKind(g)).toBe(concurrent ? 'threaded' : 'serial');
      }),
    );
  });

  test('handles reserve then and ready', () => {
    expect([...RESERVED_METHODS].sort()).toEqual(['ready', 'then']);
  });
});

/** Facts the transformer can read from source: literal limits and groups, real methods. */
const sourceFacts = fc.record(
  {
    declared: fc.constantFrom(...kinds),
    hasAsyncMethod: fc.boolean(),
    maxConcurrency: fc.integer({ min: 1, max: 8 }),
    hasConcurrencyGroups: fc.boolean(),
  },
  { requiredKeys: ['hasAsyncMethod', 'hasConcurrencyGroups'] },
);

function classSource(name: string, f: KindFacts): string {
  const options: string[] = [];
  if (f.declared) options.push(`kind: '${f.declared}'`);
  if (typeof f.maxConcurrency === 'number') options.push(`maxConcurrency: ${f.maxConcurrency}`);
  if (f.hasConcurrencyGroups) options.push('concurrencyGroups: { io: 2 }');
  const method = f.hasAsyncMethod
    ? 'async run(): Promise<number> { return 1; }'
    : 'run(): number { return 1; }';
  return `@actor({ ${options.join(', ')} })\nexport class ${name} {\n  ${method}\n}\n`;
}

describe('the transformer decides by the contract', () => {
  test('generated classes get the kind decideKind gives for what they declare', () => {
    const samples = fc.sample(sourceFacts, { numRuns: 60, seed: 12 });
    const source = [
      "import { actor } from '@troupe/runtime';",
      ...samples.map((f, i) => classSource(`Generated${i}`, f)),
    ].join('\n');
    const fileName = path.join(os.tmpdir(), 'troupe-generated', 'generated.ts');
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      noEmit: false,
      skipLibCheck: true,
      paths: {
        '@troupe/runtime': [path.join(root, 'tests/transformer/projects/runtime-stub/index.d.ts')],
      },
    };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    host.readFile = (f) => (f === fileName ? source : readFile(f));
    host.fileExists = (
      (exists) => (f: string) =>
        f === fileName || exists(f)
    )(host.fileExists.bind(host));
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (f, v, ...rest) =>
      f === fileName
        ? ts.createSourceFile(f, source, ts.ScriptTarget.ES2022, true)
        : getSourceFile(f, v, ...rest);
    const program = ts.createProgram([fileName], options, host);
    let output = '';
    program.emit(
      undefined,
      (_, text) => {
        if (_.endsWith('.js')) output = text;
      },
      undefined,
      false,
      { before: [transformer(program, { bundles: false }, { ts, addDiagnostic: () => 0 })] },
    );
    const emitted = [...output.matchAll(/exportName: '(Generated\d+)', kind: '(\w+)'/g)];
    expect(emitted).toHaveLength(samples.length);
    for (const [, name, kind] of emitted) {
      const f = samples[Number(name.slice('Generated'.length))];
      expect(`${name} ${kind}`).toBe(`${name} ${decideKind(f)}`);
    }
  });
});

describe('the runtime checks the version of compiled info', () => {
  const info = (version: number | undefined) => ({
    version,
    module: 'file:///app/dist/app.js',
    exportName: 'Versioned',
    kind: 'serial' as const,
    methods: [['run', false]] as [string, boolean][],
  });
  const decorate = (version: number | undefined) =>
    (actor as unknown as (o: object, c: unknown) => (t: unknown) => void)(
      {},
      info(version),
    )(
      class Versioned {
        run(): number {
          return 1;
        }
      },
    );

  test('info of another version is refused, naming both versions and the fix', () => {
    for (const version of [COMPILED_INFO_VERSION + 1, undefined]) {
      expect(() => decorate(version)).toThrow(ActorDefinitionError);
    }
    expect(() => decorate(COMPILED_INFO_VERSION + 1)).toThrow(
      new RegExp(
        `Versioned: .*compiled-info version ${COMPILED_INFO_VERSION + 1}.*reads version ` +
          `${COMPILED_INFO_VERSION}.*matching versions and rebuild`,
      ),
    );
    expect(() => decorate(undefined)).toThrow(/version none \(an older transformer\)/);
  });

  test('info of this version is accepted', () => {
    expect(() => decorate(COMPILED_INFO_VERSION)).not.toThrow();
  });
});
