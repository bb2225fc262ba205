import { afterAll, describe, expect, test } from '@jest/globals';
import { listActors, SharedCounter, shutdown, spawn } from '@troupe/runtime';
import { Busy } from './fixtures/dist/threaded.js';

afterAll(() => shutdown());

function spawnBusy(threads?: number) {
  const inFlight = new SharedCounter();
  const peak = new SharedCounter();
  const busy = spawn(Busy, { args: [inFlight, peak], maxConcurrency: threads });
  return { busy, inFlight, peak };
}

describe('a threaded actor', () => {
  test('runs 50 calls on 10 threads: a permutation of the inputs, peak in flight exactly 10', async () => {
    const { busy, peak, inFlight } = spawnBusy();
    // Waves of 10 meet at a barrier: each completes only with 10 calls running at once.
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => busy.meet(i, 10)));
    expect(results.map((r) => r.i).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
    expect(peak.get()).toBe(10);
    expect(inFlight.get()).toBe(0);
  });

  test('runs two busy calls at the same time, on different threads', async () => {
    const { busy } = spawnBusy(2);
    // Each call blocks its thread until the other has arrived: they must overlap.
    const [a, b] = await Promise.all([busy.meet(1, 2), busy.meet(2, 2)]);
    expect(a.thread).not.toBe(b.thread);
  });

  test('runs simultaneous calls on distinct threads and lists its thread count', async () => {
    const { busy } = spawnBusy(3);
    await busy.ready();
    const results = await Promise.all(Array.from({ length: 3 }, (_, i) => busy.meet(i, 3)));
    expect(new Set(results.map((r) => r.thread)).size).toBe(3);
    expect(listActors().some((a) => a.kind === 'threaded' && a.threads === 3)).toBe(true);
  });

  test('shares a counter created in the constructor: 1,000 increments across threads end at 1,000', async () => {
    const { busy } = spawnBusy(4);
    await Promise.all(Array.from({ length: 1000 }, () => busy.bump()));
    expect(await busy.count()).toBe(1000);
  });

  test('a mutex created in the constructor guards a shared cell across threads', async () => {
    const { busy } = spawnBusy(4);
    await Promise.all(Array.from({ length: 40 }, () => busy.lockedAdd(1)));
    expect(await busy.cellValue()).toBe(40);
  });

  test('takes its thread count from spawn options within its kind', async () => {
    const { busy, peak } = spawnBusy(3);
    await Promise.all(Array.from({ length: 12 }, (_, i) => busy.meet(i, 3)));
    expect(peak.get()).toBe(3);
  });
});
