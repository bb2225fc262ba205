/**
 * `metrics()` and the Prometheus text after a known set of calls: counts and labels exact, an
 * error outcome for a failing call, the load now, and restarts.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { configure, kill, metrics, shutdown, spawn } from '@troupe/runtime';
import { registerMetrics } from '@troupe/runtime/prometheus';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { Holder, Steps } from './fixtures/dist/observed.js';

afterAll(() => shutdown());

async function prometheusText(): Promise<string> {
  const registry = new Registry();
  registerMetrics(registry);
  return registry.metrics();
}

/** Waits until `cell[0]` reaches `n` (the calls inside count themselves in). */
async function until(cell: Int32Array, n: number): Promise<void> {
  for (let seen = Atomics.load(cell, 0); seen < n; seen = Atomics.load(cell, 0)) {
    const wait = Atomics.waitAsync(cell, 0, seen);
    if (wait.async) await wait.value;
  }
}

describe('metrics', () => {
  test('count calls by actor, method and outcome, in metrics() and in the Prometheus text', async () => {
    const ledger = spawn(Steps, { name: 'ledger' });
    await Promise.all([ledger.step(1), ledger.step(2), ledger.step(3)]);
    await Promise.allSettled([ledger.fail(1), ledger.fail(2)]);
    const group = metrics().find((g) => g.actor === 'ledger');
    expect(group).toMatchObject({ class: 'Steps', kind: 'serial', live: ['ledger'] });
    const step = group?.methods.find((m) => m.method === 'step');
    const fail = group?.methods.find((m) => m.method === 'fail');
    expect(step?.calls).toEqual({ ok: 3, error: 0, cancelled: 0, dropped: 0 });
    expect(fail?.calls).toEqual({ ok: 0, error: 2, cancelled: 0, dropped: 0 });
    expect(step?.runTime.count).toBe(3);
    expect(step?.queueWait.count).toBe(3);
    expect(step?.runTime.buckets.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 3 });

    const text = await prometheusText();
    const lines = text.split('\n');
    const labels = 'class="Steps",actor="ledger"';
    expect(lines).toContain(`troupe_calls_total{${labels},method="step",outcome="ok"} 3`);
    expect(lines).toContain(`troupe_calls_total{${labels},method="step",outcome="error"} 0`);
    expect(lines).toContain(`troupe_calls_total{${labels},method="fail",outcome="error"} 2`);
    expect(lines).toContain(`troupe_call_duration_seconds_count{${labels},method="step"} 3`);
    expect(lines).toContain(
      `troupe_call_duration_seconds_bucket{${labels},method="step",le="+Inf"} 3`,
    );
    expect(lines).toContain(`troupe_call_queue_seconds_count{${labels},method="fail"} 2`);
    expect(lines).toContain(`troupe_calls_in_flight{${labels}} 0`);
    expect(lines).toContain(`troupe_calls_queued{${labels}} 0`);
    expect(lines).toContain('# TYPE troupe_calls_total counter');
    expect(lines).toContain('# TYPE troupe_call_duration_seconds histogram');
    expect(
      lines.filter(
        (l) => l.startsWith('troupe_call_duration_seconds_bucket{') && l.includes('method="step"'),
      ),
    ).toHaveLength(20);
    await kill(ledger);
  });

  test('group actors without a name under their class name, keeping the counts of ended ones', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 4 }),
        async (perActor) => {
          const before = metrics().find((g) => g.actor === 'Steps' && g.class === 'Steps');
          const ok = before?.methods.find((m) => m.method === 'step')?.calls.ok ?? 0;
          for (const n of perActor) {
            const steps = spawn(Steps);
            await Promise.all(Array.from({ length: n }, (_, i) => steps.step(i)));
            await kill(steps);
          }
          const after = metrics().find((g) => g.actor === 'Steps' && g.class === 'Steps');
          const total = perActor.reduce((a, b) => a + b, 0);
          expect(after?.methods.find((m) => m.method === 'step')?.calls.ok ?? 0).toBe(ok + total);
          expect(after?.live).toEqual([]);
        },
      ),
      { numRuns: 5 },
    );
  });

  test('show calls in flight, live actors by kind, and restarts', async () => {
    const holder = spawn(Holder, { maxConcurrency: 2, name: 'holding' });
    const cell = new Int32Array(new SharedArrayBuffer(8));
    const held = [holder.hold(1, cell), holder.hold(2, cell)];
    await until(cell, 2);
    const phoenix = spawn(Steps, { name: 'phoenix', maxRestarts: 1 });
    await phoenix.step(0);
    await kill(phoenix, { noRestart: false });
    await phoenix.step(1); // answered by the rebuilt actor

    const lines = (await prometheusText()).split('\n');
    expect(lines).toContain('troupe_calls_in_flight{class="Holder",actor="holding"} 2');
    expect(lines).toContain('troupe_actor_restarts_total{class="Steps",actor="phoenix"} 1');
    expect(lines).toContain(
      'troupe_calls_total{class="Steps",actor="phoenix",method="step",outcome="ok"} 2',
    );
    expect(lines).toContain('troupe_actors{kind="async"} 1');
    expect(lines).toContain('troupe_actors{kind="serial"} 1');

    Atomics.store(cell, 1, 1);
    Atomics.notify(cell, 1);
    expect(await Promise.all(held)).toEqual([1, 2]);
    await Promise.all([kill(holder), kill(phoenix)]);
  });

  test('count nothing for actors spawned with metrics off', async () => {
    configure({ metrics: false });
    try {
      const quiet = spawn(Steps, { name: 'quiet' });
      await quiet.step(1);
      expect(metrics().find((g) => g.actor === 'quiet')).toBeUndefined();
      await kill(quiet);
    } finally {
      configure({ metrics: true });
    }
  });
});
