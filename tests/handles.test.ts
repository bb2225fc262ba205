import { afterAll, describe, expect, test } from '@jest/globals';
import {
  ActorDiedError,
  kill,
  Mutex,
  SerializationError,
  SharedCounter,
  shutdown,
  spawn,
  transfer,
} from '@troupe/runtime';
import { Counter } from './fixtures/dist/counter.js';
import { Faulty } from './fixtures/dist/errors.js';
import { Relay } from './fixtures/dist/relay.js';
import { Busy } from './fixtures/dist/threaded.js';
import {
  Hostile,
  HostileRestart,
  HostileThreaded,
  hostile as makeHostile,
} from './fixtures/dist/values.js';
import { eventually } from './support/eventually.js';
import { threadsOnly } from './support/transport.js';

afterAll(() => shutdown());

describe('handles', () => {
  test('are not thenable, so an async function can return one', async () => {
    const make = async () => spawn(Counter, { args: [5] });
    const counter = await make();
    expect(await counter.add(1)).toBe(6);
  });

  test('passed inside an object, reach another actor, which calls them', async () => {
    const counter = spawn(Counter, { args: [0] });
    const relay = spawn(Relay);
    expect(await relay.addThrough({ target: counter, by: 5 })).toBe(5);
    expect(await relay.addAll([counter, counter], 1)).toEqual([6, 7]);
    expect(await counter.add(0)).toBe(7);
  });

  test('passed as constructor arguments work in the actor', async () => {
    const counter = spawn(Counter, { args: [10] });
    const relay = spawn(Relay, { args: [counter] });
    expect(await relay.addToPeer(2)).toBe(12);
  });

  test('to a threaded actor, passed to another actor, reach its thread pool', async () => {
    const busy = spawn(Busy, {
      args: [new SharedCounter(), new SharedCounter()],
      maxConcurrency: 2,
    });
    const relay = spawn(Relay);
    const through = await relay.addThrough({ target: busy as never, by: 0 }).catch((e) => e);
    // Busy has no `add`: the call travels to the pool, which answers with a clear error.
    expect(String(through)).toMatch(/no method/);
    await busy.bump();
    expect(await busy.count()).toBe(1);
  });

  threadsOnly(
    'a child spawned in a method is reachable from here, and dies with its parent',
    async () => {
      const relay = spawn(Relay);
      const child = await relay.spawnChild(100);
      expect(await child.add(1)).toBe(101);
      await kill(relay);
      await expect(child.add(1)).rejects.toBeInstanceOf(ActorDiedError);
    },
  );

  test('transfer() moves a buffer to the actor instead of copying it', async () => {
    const faulty = spawn(Faulty);
    const bytes = new Uint8Array([1, 2, 3]);
    const echoed = await faulty.echo(transfer(bytes, [bytes.buffer]));
    expect(bytes.byteLength).toBe(0);
    expect([...echoed]).toEqual([1, 2, 3]);
  });
});

describe('handles and values in one batch (guarantee 2)', () => {
  test('two calls in one tick that pass handles both work', async () => {
    const counter = spawn(Counter, { args: [0] });
    const hostile = spawn(Hostile);
    const [a, b] = await Promise.all([
      hostile.addThrough(counter, 1),
      hostile.addThrough(counter, 1),
    ]);
    expect([a, b].sort()).toEqual([1, 2]);
  });

  test('a transfer() buffer followed by a handle in the same tick is moved, not copied', async () => {
    const counter = spawn(Counter, { args: [0] });
    const hostile = spawn(Hostile);
    await hostile.ready();
    const bytes = new Uint8Array([1, 2, 3]);
    const moved = hostile.bytes(transfer(bytes, [bytes.buffer]));
    const added = hostile.addThrough(counter, 1);
    expect([...(await moved)]).toEqual([1, 2, 3]);
    expect(bytes.byteLength).toBe(0);
    expect(await added).toBe(1);
  });

  test('results that move buffers or hold handles survive a bad result beside them', async () => {
    const counter = spawn(Counter, { args: [0] });
    const hostile = spawn(Hostile);
    await hostile.ready();
    const bytes = hostile.bytes(new Uint8Array([4, 5]));
    const handle = hostile.echo(counter);
    const nested = hostile.echo({ inside: [counter] });
    const bad = hostile.make('getter').catch((e) => e);
    expect([...(await bytes)]).toEqual([4, 5]);
    expect(await (await handle).add(1)).toBe(1);
    expect(await ((await nested).inside[0] as typeof counter).add(1)).toBe(2);
    expect(await bad).toBeInstanceOf(SerializationError);
  });

  test('a bad value next to a handle fails its own call, and the caller goes on', async () => {
    const counter = spawn(Counter, { args: [0] });
    const hostile = spawn(Hostile);
    for (const kind of ['getter', 'deep', 'proxy']) {
      const error = await hostile
        .addThrough(counter, makeHostile(kind) as number)
        .catch((e: SerializationError) => e);
      expect(error).toBeInstanceOf(SerializationError);
      expect((error as SerializationError).argument).toBe(1);
    }
    expect(await hostile.addThrough(counter, 1)).toBe(1);
  });

  test('a SharedCounter or a Mutex reaches a fresh worker before its module has loaded', async () => {
    const shared = new SharedCounter();
    const mutex = new Mutex();
    mutex.lock();
    // Sent at once: the worker decodes them before it has imported the actor's module.
    const fresh = spawn(Hostile);
    const pool = spawn(HostileThreaded);
    expect(await Promise.all([fresh.bump(shared, 1), pool.bump(shared, 1)])).toEqual(
      expect.arrayContaining([1, 2]),
    );
    expect(await fresh.locked(mutex)).toBe(true);
    expect(shared.get()).toBe(2);
  });

  threadsOnly(
    'a SharedCounter or a Mutex reaches a restarted worker, and calls resent to it',
    async () => {
      const shared = new SharedCounter();
      const mutex = new Mutex();
      const actor = spawn(HostileRestart);
      expect(await actor.bump(shared, 1)).toBe(1);
      // One batch: the worker dies on the first call, the second is sent again to its successor.
      const died = actor.die().catch((e) => e);
      const resent = actor.bump(shared, 1);
      expect(await died).toBeInstanceOf(ActorDiedError);
      expect(await resent).toBe(2);
      expect(await actor.locked(mutex)).toBe(false);
      expect(await actor.bump(shared, 1)).toBe(3);
    },
  );

  test("a dead actor's handle passed to another actor: calls through it reject", async () => {
    const dead = spawn(Counter, { args: [0] });
    await dead.add(0);
    await kill(dead);
    const hostile = spawn(Hostile);
    await expect(hostile.addThrough(dead, 1)).rejects.toBeInstanceOf(ActorDiedError);
    expect(await hostile.echo(1)).toBe(1);
  });

  threadsOnly('passing a handle again and again keeps one channel to its actor', async () => {
    const target = spawn(Hostile);
    const relay = spawn(Hostile);
    const before = await relay.portsOf(target);
    for (let i = 0; i < 300; i++) await relay.portsOf(target);
    // A port closed by the receiver goes from the target's count when its close arrives there.
    const after = await eventually(
      () => target.ports(),
      (n) => n <= before,
    );
    expect(after).toBeLessThanOrEqual(before);
  });

  test('user data with a $troupe key, or an own __proto__ key, arrives as data', async () => {
    const counter = spawn(Counter, { args: [0] });
    const hostile = spawn(Hostile);
    const lookalikes = [
      { $troupe: 'handle', info: 1 },
      { $troupe: 'shared', type: 'counter', buffer: new SharedArrayBuffer(8) },
      { $troupe: 'escaped', value: { a: 1 } },
      JSON.parse('{"__proto__": {"x": 1}, "a": 2}'),
    ];
    // Alone (sent as they are) and beside a handle (encoded).
    const alone = await hostile.echo(lookalikes);
    const [, beside] = await hostile.echo([counter, lookalikes] as const);
    for (const back of [alone, beside]) {
      expect(back).toEqual(lookalikes);
      expect(Object.getOwnPropertyNames(back[3])).toEqual(['__proto__', 'a']);
    }
    const relay = spawn(Hostile);
    expect(await relay.echo([counter, { $troupe: 'handle' }] as const)).toHaveLength(2);
  });
});

describe('after shutdown', () => {
  test('no link of a passed handle is left open, on any transport (nothing holds the process)', async () => {
    const ports = () => process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
    const before = ports();
    const counter = spawn(Counter, { args: [0] });
    const relay = spawn(Relay, { args: [counter] });
    expect(await relay.addThrough({ target: counter, by: 2 })).toBe(2);
    expect(await relay.addToPeer(1)).toBe(3);
    await shutdown();
    // A link's end is heard asynchronously: wait for the ports to close, not for a time.
    for (let turns = 0; ports() > before && turns < 1000; turns++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(ports()).toBeLessThanOrEqual(before);
  });
});
