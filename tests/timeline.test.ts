/**
 * The timeline of a known workload, checked by its structure, never by its times: every call
 * once, a serial actor's calls never overlapping, an async actor's lanes as many as the calls it
 * ran at once, a threaded actor's tracks as many as its threads in use.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  configure,
  SharedCounter,
  shutdown,
  spawn,
  type TraceEvent,
  timeline,
} from '@troupe/runtime';
import fc from 'fast-check';
import { lanesOf } from '../packages/runtime/src/observe/lanes.js';
import { Flaky } from './fixtures/dist/faults.js';
import { Holder, Steps, Trio } from './fixtures/dist/observed.js';

beforeAll(() => configure({ timeline: true }));
afterAll(async () => {
  configure({ timeline: false });
  await shutdown();
});

/** The process id the trace gives the actor named `name`. */
function pidOf(events: TraceEvent[], name: string): number {
  const meta = events.find(
    (e) =>
      e.ph === 'M' && e.name === 'process_name' && String(e.args?.name).startsWith(`${name} (`),
  );
  if (meta === undefined) throw new Error(`no process named ${name} in the timeline`);
  return meta.pid;
}

function callsOf(name: string): TraceEvent[] {
  const events = timeline();
  const pid = pidOf(events, name);
  return events.filter((e) => e.pid === pid && e.ph === 'X');
}

/** Waits until `cell[0]` reaches `n` (the calls inside count themselves in). */
async function until(cell: Int32Array, n: number): Promise<void> {
  for (let seen = Atomics.load(cell, 0); seen < n; seen = Atomics.load(cell, 0)) {
    const wait = Atomics.waitAsync(cell, 0, seen);
    if (wait.async) await wait.value;
  }
}

function release(cell: Int32Array): void {
  Atomics.store(cell, 1, 1);
  Atomics.notify(cell, 1);
}

describe('the timeline', () => {
  test('holds every call of a serial actor once, and its calls never overlap', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }), async (fails) => {
        const name = `steps-${Math.random().toString(36).slice(2)}`;
        const steps = spawn(Steps, { name });
        const settled = await Promise.allSettled(
          fails.map((fail, i) => (fail ? steps.fail(i) : steps.step(i))),
        );
        expect(settled.map((s) => s.status === 'rejected')).toEqual(fails);
        const calls = callsOf(name);
        const ids = calls.map((e) => e.args?.callId as number);
        expect(new Set(ids).size).toBe(fails.length);
        expect(calls).toHaveLength(fails.length);
        expect(calls.filter((e) => e.args?.outcome === 'error')).toHaveLength(
          fails.filter(Boolean).length,
        );
        expect(new Set(calls.map((e) => e.tid))).toEqual(new Set([0]));
        const byStart = [...calls].sort((a, b) => (a.ts as number) - (b.ts as number));
        for (let i = 1; i < byStart.length; i++) {
          const prev = byStart[i - 1] as TraceEvent;
          expect(byStart[i]?.ts as number).toBeGreaterThanOrEqual(
            (prev.ts as number) + (prev.dur as number),
          );
        }
        await shutdownOne(steps);
      }),
      { numRuns: 10 },
    );
  });

  test('an async actor with maxConcurrency 4 and 8 calls held at once uses exactly 4 lanes', async () => {
    const holder = spawn(Holder, { maxConcurrency: 4, name: 'holder' });
    const cell = new Int32Array(new SharedArrayBuffer(8));
    const calls = Array.from({ length: 8 }, (_, i) => holder.hold(i, cell));
    await until(cell, 4);
    release(cell);
    expect(await Promise.all(calls)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const events = callsOf('holder');
    expect(events).toHaveLength(8);
    expect(new Set(events.map((e) => e.tid)).size).toBe(4);
    for (const lane of new Set(events.map((e) => e.tid))) {
      const onLane = events
        .filter((e) => e.tid === lane)
        .sort((a, b) => (a.ts as number) - (b.ts as number));
      for (let i = 1; i < onLane.length; i++) {
        const prev = onLane[i - 1] as TraceEvent;
        expect(onLane[i]?.ts as number).toBeGreaterThanOrEqual(
          (prev.ts as number) + (prev.dur as number),
        );
      }
    }
  });

  test('a threaded actor with 3 threads has 3 tracks in use', async () => {
    const trio = spawn(Trio, { name: 'trio' });
    const cell = new Int32Array(new SharedArrayBuffer(8));
    expect(await Promise.all([0, 1, 2].map((i) => trio.meet(i, cell, 3)))).toEqual([0, 1, 2]);
    const events = callsOf('trio');
    expect(events).toHaveLength(3);
    expect(new Set(events.map((e) => e.tid))).toEqual(new Set([0, 1, 2]));
  });

  test('a call sent again (after crashes, or an error it retries on) counts its retries on each run', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.boolean(), async (failures, crash) => {
        const name = `flaky-${Math.random().toString(36).slice(2)}`;
        // Each attempt counts itself; the first `failures` crash the worker or throw BusyError.
        const attempts = new SharedCounter();
        const flaky = spawn(Flaky, { args: [attempts], name });
        expect(await (crash ? flaky.square(3, failures) : flaky.busy(9, failures))).toBe(9);
        expect(attempts.get()).toBe(failures + 1);
        const events = timeline();
        const pid = pidOf(events, name);
        const calls = events.filter((e) => e.pid === pid && e.ph === 'X');
        const restarts = events.filter((e) => e.pid === pid && e.name === 'restart');
        // A crashed run records nothing (its worker died in it); a run that threw records its error.
        const runs = crash ? [failures] : Array.from({ length: failures + 1 }, (_, i) => i);
        expect(calls.map((e) => e.args?.retries)).toEqual(runs);
        expect(calls.map((e) => e.args?.outcome)).toEqual(
          runs.map((n) => (n === failures ? 'ok' : 'error')),
        );
        expect(restarts).toHaveLength(crash ? failures : 0);
        await shutdownOne(flaky);
      }),
      { numRuns: 6 },
    );
  });

  test('names each actor and its tracks, and marks its spawn', async () => {
    const steps = spawn(Steps, { name: 'named-steps' });
    await steps.step(1);
    const events = timeline();
    const pid = pidOf(events, 'named-steps');
    expect(events).toContainEqual(
      expect.objectContaining({ ph: 'M', name: 'thread_name', pid, tid: 0 }),
    );
    expect(events).toContainEqual(expect.objectContaining({ ph: 'i', name: 'spawn', pid }));
  });
});

describe('lanes for an async actor', () => {
  test('never overlap, and are as many as the most calls running at once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 100 })), {
          maxLength: 60,
        }),
        (raw) => {
          const spans = raw.map(([start, length]) => [start, start + length] as [number, number]);
          const lanes = lanesOf(spans);
          for (let a = 0; a < spans.length; a++) {
            for (let b = a + 1; b < spans.length; b++) {
              const [s1, e1] = spans[a] as [number, number];
              const [s2, e2] = spans[b] as [number, number];
              if (lanes[a] === lanes[b]) expect(e1 <= s2 || e2 <= s1).toBe(true);
            }
          }
          // The most calls running at once: at some call's start, those begun and not ended.
          let most = 0;
          for (const [start] of spans) {
            most = Math.max(most, spans.filter(([s, e]) => s <= start && start < e).length);
          }
          expect(new Set(lanes).size).toBe(most);
        },
      ),
    );
  });
});

async function shutdownOne(handle: object): Promise<void> {
  const { kill } = await import('@troupe/runtime');
  await kill(handle);
}
