import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, test } from '@jest/globals';
import { RemoteError, SerializationError, shutdown, spawn } from '@troupe/runtime';
import { Mirror } from './fixtures/dist/chaos.js';
import { Hostile, HostileAsync, HostileThreaded, hostile } from './fixtures/dist/values.js';
import { eventually } from './support/eventually.js';

afterAll(() => shutdown());

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}

  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}

describe('bad input', () => {
  test('an object with a non-cloneable property is refused, naming actor, method and argument', async () => {
    const mirror = spawn(Mirror, { name: 'mirror' });
    const error = await mirror
      .echo({ id: 1, onDone: () => {} } as never)
      .catch((e: SerializationError) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error.message).toMatch(/Actor mirror, method 'echo': argument 0 cannot be sent/);
    expect(await mirror.count()).toBe(0);
    expect(await mirror.echo(1)).toBe(1);
  });

  test('a circular object arrives intact', async () => {
    const mirror = spawn(Mirror);
    const node: { name: string; self?: unknown; list: unknown[] } = { name: 'loop', list: [] };
    node.self = node;
    node.list.push(node);
    const back = await mirror.echo(node);
    expect(back.name).toBe('loop');
    expect(back.self).toBe(back);
    expect(back.list[0]).toBe(back);
  });

  test('a class instance arrives as a plain object with its fields', async () => {
    const mirror = spawn(Mirror);
    const back = await mirror.echo(new Point(3, 4));
    expect(back).toEqual({ x: 3, y: 4 });
    expect(back).not.toBeInstanceOf(Point);
    expect((back as { norm?: unknown }).norm).toBeUndefined();
  });

  test('a 100 MB payload arrives intact', async () => {
    const mirror = spawn(Mirror);
    const size = 100 * 1024 * 1024;
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) % 251;
    const back = await mirror.echo(bytes);
    expect(back.byteLength).toBe(size);
    let same = true;
    for (let i = 0; i < size; i += 4096) same &&= back[i] === (i / 4096) % 251;
    expect(same).toBe(true);
    expect(await mirror.count()).toBe(1);
  });
});

/** Values that cannot be sent, each failing in its own way (see the fixture's `hostile`). */
const UNSENDABLE = ['function', 'symbol', 'getter', 'proxy', 'deep', 'error-getters'] as const;
const KINDS = [
  ['serial', Hostile],
  ['async', HostileAsync],
  ['threaded', HostileThreaded],
] as const;

describe('guarantee 2: a bad value fails its own call alone', () => {
  test.each(KINDS)('a bad argument fails its call, not its batch (%s actor)', async (_, Class) => {
    const actor = spawn(Class as typeof Hostile);
    await actor.ready();
    for (const kind of UNSENDABLE) {
      // Three calls in one tick: one batch.
      const before = actor.echo(1);
      const bad = actor.echo(['fine', hostile(kind)]).catch((e: SerializationError) => e);
      const after = actor.echo(2);
      expect(await before).toBe(1);
      const error = await bad;
      expect(error).toBeInstanceOf(SerializationError);
      expect(error.argument).toBe(0);
      expect(error.message).toMatch(/method 'echo': argument 0 cannot be sent/);
      expect(await after).toBe(2);
    }
  });

  test('a bad argument names its index, and the caller goes on', async () => {
    const actor = spawn(Hostile);
    for (const kind of UNSENDABLE) {
      const error = await actor
        .echo(1 as never, hostile(kind) as never)
        .catch((e: SerializationError) => e);
      expect(error).toBeInstanceOf(SerializationError);
      expect((error as SerializationError).argument).toBe(1);
    }
    expect(await actor.echo(3)).toBe(3);
  });

  test('a constructor argument that throws when read is refused by spawn', () => {
    for (const kind of ['getter', 'proxy', 'deep']) {
      expect(() => spawn(Hostile, { args: [1, hostile(kind)] } as never)).toThrow(
        /spawn\(Hostile\): constructor argument 1 cannot be sent/,
      );
    }
  });

  test('bad arguments sent before the actor is ready leave it working', async () => {
    for (const kind of ['getter', 'proxy', 'deep']) {
      const actor = spawn(Hostile);
      const bad = actor.echo(hostile(kind)).catch((e) => e);
      await actor.ready();
      expect(await bad).toBeInstanceOf(SerializationError);
      expect(await actor.echo(1)).toBe(1);
    }
  });

  test.each(KINDS)(
    'a result that cannot be sent fails its call alone (%s actor)',
    async (name, Class) => {
      const actor = spawn(
        Class as typeof Hostile,
        { maxConcurrency: name === 'threaded' ? 2 : undefined } as never,
      );
      await actor.ready();
      for (const kind of UNSENDABLE) {
        const before = actor.echo(1);
        // Two bad results: on a threaded actor each holds a thread until its result is answered.
        const bad = [actor.make(kind), actor.make(kind)].map((p) => p.catch((e: Error) => e));
        const after = actor.echo(2);
        expect(await before).toBe(1);
        for (const error of await Promise.all(bad)) {
          if (name === 'async' && kind === 'proxy') {
            // An async method's promise resolves by reading `then` of what it returns: it threw.
            expect(error).toBeInstanceOf(RemoteError);
            continue;
          }
          expect(error).toBeInstanceOf(SerializationError);
          expect((error as SerializationError).argument).toBe('result');
          expect((error as Error).message).toMatch(/method 'make': its result cannot be sent back/);
        }
        expect(await after).toBe(2);
      }
      // Every thread is free again.
      expect(await Promise.all([actor.echo(3), actor.echo(4), actor.echo(5)])).toEqual([3, 4, 5]);
    },
  );

  test.each(KINDS)(
    'a thrown value that cannot be sent whole rejects with RemoteError (%s actor)',
    async (_, Class) => {
      const actor = spawn(Class as typeof Hostile);
      await actor.ready();
      for (const kind of [...UNSENDABLE, 'error-function']) {
        const before = actor.echo(1);
        const error = await actor.throwIt(kind).catch((e: RemoteError) => e);
        const after = actor.echo(2);
        expect(error).toBeInstanceOf(RemoteError);
        expect(typeof error.message).toBe('string');
        expect(typeof error.stack).toBe('string');
        expect(await before).toBe(1);
        expect(await after).toBe(2);
      }
    },
  );

  test('an error whose class is named DOMException, with an own code, is rebuilt without harm', async () => {
    const actor = spawn(Hostile);
    const error = await actor.throwIt('dom-exception').catch((e) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.name).toBe('DOMException');
    expect(error.code).toBe(25);
    expect(error.message).toBe('looks like a DOMException');
    expect(await actor.echo(1)).toBe(1);
  });

  // (A Proxy yielded is awaited by the async generator itself, which then throws: RemoteError.)
  test.each(['getter', 'function', 'deep'])(
    'an item a stream cannot send (%s) fails the stream and closes its generator',
    async (kind) => {
      const actor = spawn(Hostile);
      const stream = actor.endlessWith(kind, 3);
      const seen: unknown[] = [];
      const error = await (async () => {
        for await (const item of stream) seen.push(item);
      })().catch((e: SerializationError) => e);
      expect(error).toBeInstanceOf(SerializationError);
      expect((error as SerializationError).message).toMatch(/an item it yielded cannot be sent/);
      expect(seen).toEqual([0, 1, 2]);
      // The endless generator ended only because its return() ran.
      expect(
        await eventually(
          () => actor.closedStreams(),
          (n) => n === 1,
        ),
      ).toBe(1);
      expect(await stream.next()).toEqual({ value: undefined, done: true });
      expect(await actor.echo(1)).toBe(1);
    },
  );

  test('after a stream failed, next() is done rather than the error again', async () => {
    const actor = spawn(Hostile);
    const stream = actor.items(['a', 'getter', 'b']);
    expect(await stream.next()).toEqual({ value: 'a', done: false });
    await expect(stream.next()).rejects.toBeInstanceOf(SerializationError);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  test('a stream its consumer breaks out of, returns, or drops frees its slot', async () => {
    const actor = spawn(Hostile);
    for await (const n of actor.endless()) if (n === 2) break;
    expect(
      await eventually(
        () => actor.closedStreams(),
        (n) => n === 1,
      ),
    ).toBe(1);
    const returned = actor.endless();
    await returned.next();
    await returned.return?.();
    expect(
      await eventually(
        () => actor.closedStreams(),
        (n) => n === 2,
      ),
    ).toBe(2);
    // Dropped: read once, then no reference is left; the collector finds it.
    await (async () => {
      await actor.endless().next();
    })();
    const closed = await eventually(
      () => {
        collectGarbage();
        return actor.closedStreams();
      },
      (n) => n === 3,
    );
    expect(closed).toBe(3);
  });
});

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
