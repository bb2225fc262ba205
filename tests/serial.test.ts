import { afterAll, describe, expect, test } from '@jest/globals';
import { listActors, shutdown, spawn } from '@troupe/runtime';
import fc from 'fast-check';
import { Backlog } from './fixtures/dist/concurrency.js';
import { Counter } from './fixtures/dist/counter.js';
import { threadsOnly } from './support/transport.js';

afterAll(() => shutdown());

describe('a serial actor', () => {
  test('keeps state between calls: add(1) then add(2) gives 1 then 3', async () => {
    const counter = spawn(Counter, { args: [0] });
    expect(await counter.add(1)).toBe(1);
    expect(await counter.add(2)).toBe(3);
  });

  test('runs 200 calls submitted at once in submission order, one at a time', async () => {
    const counter = spawn(Counter);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => counter.track(i)));
    const { order, peak } = await counter.seen();
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(order).toEqual(results);
    // track() returns a promise: the next call starts only once it settled.
    expect(peak).toBe(1);
  });

  // On a thread of its own: in-process (the fake transport) it would block its caller too.
  threadsOnly(
    'answers each call when it ends, not once the calls queued behind it have run',
    async () => {
      // Sync calls run back to back yield no tick; their answers must not wait for the backlog.
      // Each waitFor() holds the thread until the test has the answers of the calls before it.
      const backlog = spawn(Backlog);
      await backlog.ready();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 3, max: 8 }), { minLength: 1, maxLength: 4 }),
          async (ms) => {
            const flags = new Int32Array(new SharedArrayBuffer(4));
            const before = ms.map((busy, i) => backlog.work(i, busy));
            const held = backlog.waitFor(flags);
            expect(await Promise.all(before)).toEqual(ms.map((_, i) => i));
            Atomics.store(flags, 0, 1);
            Atomics.notify(flags, 0);
            expect(await held).toBe('released');
          },
        ),
        { numRuns: 8 },
      );
    },
  );

  test('is usable before it is ready, and ready() resolves once built', async () => {
    const counter = spawn(Counter, { args: [41] });
    const early = counter.add(1);
    await counter.ready();
    expect(await early).toBe(42);
  });

  test('is listed with its kind, thread count and call counts', async () => {
    const counter = spawn(Counter, { args: [0], name: 'listed-counter' });
    await Promise.all([counter.add(1), counter.add(1), counter.add(1)]);
    const entry = listActors().find((a) => a.name === 'listed-counter');
    expect(entry).toMatchObject({ kind: 'serial', threads: 1, queued: 0, running: 0, done: 3 });
  });

  test('refuses to be spawned with maxConcurrency above 1, saying to declare it on the class', () => {
    expect(() => spawn(Counter, { maxConcurrency: 4 })).toThrow(
      /Counter is a serial actor .* Declare it on the class: @actor\(\{ maxConcurrency: 4 \}\)/,
    );
  });
});
