import { afterAll, describe, expect, test } from '@jest/globals';
import { shutdown, spawn } from '@troupe/runtime';
import { Gate } from './fixtures/dist/gate.js';

afterAll(() => shutdown());

describe('an async actor', () => {
  test('interleaves calls: three calls waiting on a gate complete once a fourth opens it', async () => {
    const gate = spawn(Gate);
    const waiting = [gate.waitForGate(1), gate.waitForGate(2), gate.waitForGate(3)];
    await gate.openGate();
    expect(await Promise.all(waiting)).toEqual([1, 2, 3]);
  });

  test('with maxConcurrency 1 runs calls strictly START, END, START, END', async () => {
    const gate = spawn(Gate, { maxConcurrency: 1 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => gate.step(i)));
    const { log, peak } = await gate.report();
    expect(log).toEqual(Array.from({ length: 10 }, (_, i) => [`START ${i}`, `END ${i}`]).flat());
    expect(peak).toBe(1);
  });

  test('with maxConcurrency 4 and 40 calls has exactly 4 in flight at the peak', async () => {
    const gate = spawn(Gate, { maxConcurrency: 4 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => gate.step(i, 5)));
    const { log, peak } = await gate.report();
    expect(peak).toBe(4);
    // Calls start in arrival order.
    const starts = log.filter((line) => line.startsWith('START')).map((l) => Number(l.slice(6)));
    expect(starts).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  test('completes 4,000 concurrent calls', async () => {
    const gate = spawn(Gate);
    const results = await Promise.all(Array.from({ length: 4000 }, (_, i) => gate.step(i, 1)));
    expect(results).toEqual(Array.from({ length: 4000 }, (_, i) => i));
    expect((await gate.report()).peak).toBeGreaterThan(1);
  });
});
