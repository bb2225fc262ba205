/**
 * Property tests of the value codec over arbitrary values, hostile ones included (guarantee 2):
 * batches of calls made in one tick, each carrying plain data, data beside a handle, a value that
 * cannot be sent, or asking for a result or a thrown value that cannot be sent back. Each call
 * either round-trips exactly or fails alone with `SerializationError` (an argument or a result)
 * or `RemoteError` (a thrown value); its neighbours succeed, the actor serves on, and nothing
 * hangs or crashes the caller.
 */
import { afterAll, describe, expect, jest, test } from '@jest/globals';
import { RemoteError, SerializationError, shutdown, spawn } from '@troupe/runtime';
import fc from 'fast-check';
import { decodeDeep, encodeDeep } from '../packages/runtime/src/wire/codec.js';
import { reviveRemoteError, serializeError } from '../packages/runtime/src/wire/errors.js';
import { Counter } from './fixtures/dist/counter.js';
import { Hostile, HostileThreaded, hostile } from './fixtures/dist/values.js';

afterAll(() => shutdown());
jest.setTimeout(240_000);

const HOSTILE = ['function', 'symbol', 'getter', 'proxy', 'deep', 'error-getters'] as const;

/** Keys that once confused the codec, among ordinary ones. */
const key = fc.oneof(
  fc.constantFrom('$troupe', '__proto__', 'info', 'port', 'value', 'encoded', 'then'),
  fc.string({ maxLength: 4 }),
);

/** Objects that look like the codec's own descriptors. */
const lookalike = fc.record({
  $troupe: fc.constantFrom('handle', 'shared', 'escaped', 'other'),
  info: fc.jsonValue({ maxDepth: 1 }),
  value: fc.jsonValue({ maxDepth: 1 }),
});

/** Data structured clone carries: what each call must get back equal. */
const data = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.anything({
      key,
      maxDepth: 3,
      maxKeys: 4,
      withNullPrototype: true,
      withMap: true,
      withSet: true,
      withDate: true,
      withBigInt: true,
      withTypedArray: true,
      withSparseArray: true,
    }),
  },
  { weight: 1, arbitrary: lookalike },
  {
    weight: 1,
    // A cycle, and an object of a class of its own (it arrives with its own fields).
    arbitrary: fc.jsonValue({ maxDepth: 2 }).map((inner) => {
      const node: Record<string, unknown> = {
        inner,
        odd: new (class Odd {
          x = 1;
        })(),
      };
      node.self = node;
      return node;
    }),
  },
);

type Entry =
  | { op: 'plain'; value: unknown }
  | { op: 'beside-handle'; value: unknown }
  | { op: 'bad-argument'; value: unknown; kind: string; index: number }
  | { op: 'bad-result'; kind: string }
  | { op: 'bad-throw'; kind: string };

const entry: fc.Arbitrary<Entry> = fc.oneof(
  { weight: 3, arbitrary: data.map((value) => ({ op: 'plain' as const, value })) },
  { weight: 2, arbitrary: data.map((value) => ({ op: 'beside-handle' as const, value })) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('bad-argument' as const),
      value: data,
      kind: fc.constantFrom(...HOSTILE),
      index: fc.integer({ min: 0, max: 1 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('bad-result' as const),
      kind: fc.constantFrom(...HOSTILE),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('bad-throw' as const),
      kind: fc.constantFrom(...HOSTILE, 'dom-exception', 'error-function'),
    }),
  },
);

type Target = ReturnType<typeof spawn<typeof Hostile>>;
type CounterHandle = ReturnType<typeof spawn<typeof Counter>>;

/** Makes the entry's call now, and returns how to check what became of it. */
function call(actor: Target, counter: CounterHandle, e: Entry): () => Promise<void> {
  switch (e.op) {
    case 'plain': {
      const result = actor.echo(e.value);
      return async () => expect(await result).toEqual(e.value);
    }
    case 'beside-handle': {
      const result = actor.echo({ value: e.value, counter });
      return async () => {
        const back = await result;
        expect(back.value).toEqual(e.value);
        expect(typeof (await back.counter.add(0))).toBe('number');
      };
    }
    case 'bad-argument': {
      // The bad value sits inside ordinary data, at argument `index`.
      const bad = { data: e.value, bad: [hostile(e.kind)] };
      const args = e.index === 0 ? [bad, 1] : [e.value, bad];
      const result = (actor.echo as (...a: unknown[]) => Promise<unknown>)(...args);
      return async () => {
        const error = await result.then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(SerializationError);
        expect((error as SerializationError).argument).toBe(e.index);
      };
    }
    case 'bad-result': {
      const result = actor.make(e.kind);
      return async () => {
        const error = await result.then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(SerializationError);
        expect((error as SerializationError).argument).toBe('result');
      };
    }
    case 'bad-throw': {
      const result = actor.throwIt(e.kind);
      return async () => {
        const error = await result.then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(RemoteError);
        expect(typeof (error as Error).message).toBe('string');
      };
    }
  }
}

describe('the codec, over arbitrary and hostile values (guarantee 2)', () => {
  test.each([
    ['serial', Hostile],
    ['threaded', HostileThreaded],
  ] as const)('each call of a batch round-trips or fails alone (%s actor)', async (_, Class) => {
    const actor = spawn(Class as typeof Hostile);
    const counter = spawn(Counter, { args: [0] });
    await Promise.all([actor.ready(), counter.ready()]);
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 6 }), async (batch) => {
        // One tick: every call joins the same batch.
        const checks = batch.map((e) => call(actor, counter, e));
        // Every call is checked, whatever the others did: none is left unawaited.
        const outcomes = await Promise.allSettled(checks.map((check) => check()));
        for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
        expect(await actor.echo('still serving')).toBe('still serving');
      }),
      { numRuns: 100 },
    );
  });
});

/** Anything a method may throw: data, hostile values, errors with arbitrary own properties. */
const thrown = fc.oneof(
  fc.anything({ key, maxDepth: 2 }),
  fc.constantFrom(...HOSTILE, 'dom-exception', 'error-function').map((kind) => hostile(kind)),
  fc
    .tuple(
      fc.string(),
      fc.dictionary(
        fc.oneof(key, fc.constantFrom('code', 'name', 'message', 'stack', 'cause', 'constructor')),
        fc.anything({ maxDepth: 1 }),
        { maxKeys: 4 },
      ),
    )
    .map(([message, props]) => {
      const error = new Error(message);
      for (const [k, v] of Object.entries(props)) {
        Object.defineProperty(error, k, {
          value: v,
          enumerable: true,
          configurable: true,
          writable: true,
        });
      }
      return error;
    }),
);

describe('errors and the codec, alone', () => {
  test('an error whose class is named DOMException, with an own code, is rebuilt', () => {
    class DOMExceptionLike extends Error {}
    Object.defineProperty(DOMExceptionLike, 'name', { value: 'DOMException' });
    const s = serializeError(Object.assign(new DOMExceptionLike('m'), { code: 25 }));
    expect(s.className).toBe('DOMException');
    const error = reviveRemoteError(s, 'A#1', 'run', (name) =>
      name === 'DOMException' ? DOMException : undefined,
    ) as RemoteError & { code: number };
    expect(error.code).toBe(25);
    expect(error.message).toBe('m');
    expect(error).toBeInstanceOf(DOMException);
  });

  test('any thrown value serializes to something postable, and is rebuilt under any class', () => {
    const classes = [undefined, Error, TypeError, RangeError, DOMException, AggregateError];
    fc.assert(
      fc.property(thrown, fc.constantFrom(...classes), (value, cls) => {
        const s = serializeError(value);
        structuredClone(s);
        const error = reviveRemoteError(s, 'A#1', 'run', () => cls as never);
        expect(typeof error.message).toBe('string');
        expect(typeof error.stack).toBe('string');
        expect(error.actor).toBe('A#1');
      }),
      { numRuns: 300 },
    );
  });

  test('data encoded, cloned and decoded comes back equal, whatever its keys', () => {
    fc.assert(
      fc.property(fc.oneof(data, fc.array(lookalike, { maxLength: 3 })), (value) => {
        const sent = structuredClone(encodeDeep(value, []));
        expect(decodeDeep(sent)).toEqual(value);
      }),
      { numRuns: 300 },
    );
  });
});
