import { afterAll, describe, expect, test } from '@jest/globals';
import {
  ActorDiedError,
  RemoteError,
  SerializationError,
  shutdown,
  spawn,
  UnknownMethodError,
} from '@troupe/runtime';
import { errorFrom } from '../packages/runtime/src/errors.js';
import { BrokenConstructor, Faulty, QuotaError } from './fixtures/dist/errors.js';
import { threadsOnly } from './support/transport.js';

afterAll(() => shutdown());

describe('errors', () => {
  test('a thrown error rejects with RemoteError, and the actor serves the next call', async () => {
    const faulty = spawn(Faulty);
    const error = await faulty.throwType().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ name: 'TypeError', message: 'bad type', method: 'throwType' });
    expect((error as RemoteError).remoteStack).toMatch(/at Faulty\.throwType/);
    expect((error as Error).stack).toMatch(/at actor Faulty#\d+, method 'throwType'/);
    const cause = (error as Error).cause as Error;
    expect(cause).toBeInstanceOf(TypeError);
    expect(cause.cause).toMatchObject({ name: 'RangeError', message: 'inner' });
    expect(await faulty.count()).toBe(1);
  });

  test('an error class exported by the actor module arrives as an instance of that class', async () => {
    const faulty = spawn(Faulty);
    await faulty.ready();
    for (const call of [() => faulty.throwQuota(3), () => faulty.rejectLater()]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QuotaError);
      expect(error).toBeInstanceOf(RemoteError);
      expect(error).toHaveProperty('name', 'QuotaError');
    }
    const quota = await faulty.throwQuota(7).catch((e: QuotaError) => e);
    expect(quota.message).toBe('quota of 7 exceeded');
    expect(quota.limit).toBe(7);
  });

  test('thrown strings and null reject with a RemoteError that keeps the value', async () => {
    const faulty = spawn(Faulty);
    const fromString = await faulty.throwString().catch((e: RemoteError) => e);
    expect(fromString).toBeInstanceOf(RemoteError);
    expect(fromString.thrown).toBe('plain string');
    expect(fromString.message).toMatch(
      /method 'throwString', threw a non-Error value: "plain string"/,
    );
    const fromNull = await faulty.throwNull().catch((e: RemoteError) => e);
    expect(fromNull.thrown).toBeNull();
    expect(await faulty.count()).toBe(1);
  });

  test('an argument that cannot be cloned rejects with SerializationError naming actor, method and argument', async () => {
    const faulty = spawn(Faulty, { name: 'faulty-args' });
    const batch = [faulty.echo(1), faulty.echo(() => 1), faulty.echo(Symbol('s')), faulty.echo(3)];
    const [one, fn, sym, three] = await Promise.allSettled(batch);
    expect(one).toEqual({ status: 'fulfilled', value: 1 });
    expect(three).toEqual({ status: 'fulfilled', value: 3 });
    for (const settled of [fn, sym]) {
      expect(settled.status).toBe('rejected');
      const error = (settled as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(SerializationError);
      expect(error).toMatchObject({ actor: 'faulty-args', method: 'echo', argument: 0 });
      expect(error.message).toMatch(/Actor faulty-args, method 'echo': argument 0 cannot be sent/);
    }
    expect(await faulty.count()).toBe(1);
  });

  test('a result that cannot be cloned rejects with SerializationError, and the actor goes on', async () => {
    const faulty = spawn(Faulty);
    const error = await faulty.returnFunction().catch((e: SerializationError) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.argument).toBe('result');
    expect(error.message).toMatch(/method 'returnFunction': its result cannot be sent back/);
    expect(await faulty.count()).toBe(1);
  });

  test('an unknown method through an untyped handle rejects with UnknownMethodError', async () => {
    const faulty = spawn(Faulty) as unknown as Record<string, () => Promise<unknown>>;
    const error = await faulty.nope().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownMethodError);
    expect((error as Error).message).toMatch(
      /Actor Faulty#\d+ has no method 'nope'\. Its methods are: .*count/,
    );
    expect((faulty as unknown as { then?: unknown }).then).toBeUndefined();
  });

  test('a throwing constructor rejects ready() and every call with its error', async () => {
    const broken = spawn(BrokenConstructor, { args: ['no disk'] });
    const calls = [broken.hello(), broken.ready(), broken.hello()];
    for (const settled of await Promise.allSettled(calls)) {
      expect(settled.status).toBe('rejected');
      const error = (settled as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(QuotaError);
      expect(error.message).toBe('cannot build: no disk');
    }
  });

  threadsOnly(
    'a worker that calls process.exit mid-call rejects pending and later calls with ActorDiedError',
    async () => {
      const faulty = spawn(Faulty);
      await faulty.ready();
      const pending = [faulty.exitNow(3), faulty.count()];
      const results = await Promise.allSettled(pending);
      for (const settled of results) {
        expect(settled.status).toBe('rejected');
        const error = (settled as PromiseRejectedResult).reason;
        expect(error).toBeInstanceOf(ActorDiedError);
        expect(error.message).toMatch(/Actor Faulty#\d+ is dead \(its worker exited with code 3\)/);
      }
      await expect(faulty.count()).rejects.toThrow(/call 'count' was not sent/);
    },
  );
});

describe('errorFrom (a stack that starts at the user’s call)', () => {
  function entry(make: () => Error): Error {
    return errorFrom(entry, make);
  }
  function userSite(make: () => Error): Error {
    return entry(make);
  }

  test('leaves out the frames from the entry inward, and restores Error.stackTraceLimit', () => {
    const limit = Error.stackTraceLimit;
    const error = userSite(() => new TypeError('made inside'));
    expect((error.stack ?? '').split('\n')[1]).toMatch(/userSite/);
    expect(error.stack).toMatch(/^TypeError: made inside/);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(() =>
      userSite(() => {
        throw new RangeError('the factory threw');
      }),
    ).toThrow('the factory threw');
    expect(Error.stackTraceLimit).toBe(limit);
  });

  test('where Error.stackTraceLimit is frozen, the error keeps its usual stack', () => {
    const descriptor = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit');
    Object.defineProperty(Error, 'stackTraceLimit', {
      value: 10,
      writable: false,
      configurable: true,
    });
    try {
      const error = userSite(() => new Error('frozen'));
      expect(error.message).toBe('frozen');
      expect(error.stack).toMatch(/userSite/);
    } finally {
      Object.defineProperty(Error, 'stackTraceLimit', descriptor as PropertyDescriptor);
    }
  });
});
