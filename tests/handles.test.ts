import { afterAll, describe, expect, test } from '@jest/globals';
import { ActorDiedError, kill, SharedCounter, shutdown, spawn, transfer } from '@troupe/runtime';
import { Counter } from './fixtures/dist/counter.js';
import { Faulty } from './fixtures/dist/errors.js';
import { Relay } from './fixtures/dist/relay.js';
import { Busy } from './fixtures/dist/threaded.js';
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
