import { setImmediate as tick } from 'node:timers/promises';
import type * as Runtime from '@troupe/runtime';
import { loadTroupe } from '../contenders/troupe.js';
import { type Figure, figure } from '../figures.js';
import { describe, now, type Outcome, type Settings } from '../harness.js';
import { stats } from '../stats.js';

const group = 'growth';

/** Guarantee 5: per-call cost with this many calls queued, in flight or cancelled … */
const SMALL = 10_000;
/** … is at most 1.5x the same cost with this many. */
const LARGE = 200_000;

type Echoing = { echo(x: unknown): Promise<unknown>; hold(gate: Int32Array): Promise<unknown> };

function gate(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8));
}

function open(g: Int32Array): void {
  Atomics.store(g, 0, 1);
  Atomics.notify(g, 0);
}

/** Resolves once the actor holds the gate (it set slot 1). */
async function held(g: Int32Array): Promise<void> {
  while (Atomics.load(g, 1) !== 1) await tick();
}

/** µs a call: `n` calls sent while the actor is held, then all run once the gate opens. */
async function queued(h: Echoing, n: number): Promise<number> {
  const g = gate();
  const holding = h.hold(g);
  await held(g);
  const t0 = now();
  const calls: Promise<unknown>[] = new Array(n);
  for (let i = 0; i < n; i++) calls[i] = h.echo(i);
  // Let every call reach the actor and queue there, then release it.
  await tick();
  open(g);
  await holding;
  await Promise.all(calls);
  return ((now() - t0) * 1000) / n;
}

/** µs a call: `n` calls in flight at once on an async actor. */
async function inFlight(h: { echo(x: unknown): Promise<unknown> }, n: number): Promise<number> {
  const t0 = now();
  const calls: Promise<unknown>[] = new Array(n);
  for (let i = 0; i < n; i++) calls[i] = h.echo(i);
  await Promise.all(calls);
  return ((now() - t0) * 1000) / n;
}

/**
 * µs a call: `n` calls queued behind a held call are cancelled in reverse order, then the gate
 * opens and one more call must come back (the actor is responsive again).
 */
async function cancelled(rt: typeof Runtime, h: Echoing, n: number): Promise<number> {
  const g = gate();
  const holding = h.hold(g);
  await held(g);
  const calls: Promise<unknown>[] = new Array(n);
  for (let i = 0; i < n; i++) calls[i] = h.echo(i);
  const outcomes = Promise.allSettled(calls);
  await tick();
  const t0 = now();
  for (let i = n - 1; i >= 0; i--) rt.cancel(calls[i] as Promise<unknown>);
  open(g);
  await holding;
  await h.echo('after');
  await outcomes;
  return ((now() - t0) * 1000) / n;
}

/** Answers a batch settles at once, as a connection's batches of results do. */
const BATCH = 8192;

/**
 * µs a call of the same scenario without Troupe: what V8 itself costs to keep `n` promises
 * pending and settle them. Each "call" is a plain promise whose resolve function is kept, as any
 * runtime must; after a tick they are settled in arrival order, a batch a tick. The step from 10k
 * to 200k here is the collector promoting what pending promises keep alive.
 */
async function plainPromises(n: number): Promise<number> {
  const t0 = now();
  const resolvers: ((value: unknown) => void)[] = new Array(n);
  const calls: Promise<unknown>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    calls[i] = new Promise((resolve) => {
      resolvers[i] = resolve;
    });
  }
  await tick();
  for (let i = 0; i < n; i++) {
    (resolvers[i] as (value: unknown) => void)(i);
    resolvers[i] = undefined as unknown as (value: unknown) => void;
    if (i % BATCH === BATCH - 1) await tick();
  }
  await Promise.all(calls);
  return ((now() - t0) * 1000) / n;
}

interface Case {
  name: string;
  /** The actor measured; undefined for the baseline without the runtime. */
  spawn(t: Awaited<ReturnType<typeof loadTroupe>>): Runtime.ActorHandle<object> | undefined;
  measure(rt: typeof Runtime, h: unknown, n: number): Promise<number>;
  /** A baseline for comparison, not held to the guarantee. */
  floor?: boolean;
}

/** Guarantee 5: per-call cost with 200k calls queued, in flight and cancelled, against 10k. */
export async function run(settings: Settings): Promise<Figure[]> {
  const t = await loadTroupe();
  const cases: Case[] = [
    {
      name: 'queued in a serial actor',
      spawn: ({ rt, actors }) => rt.spawn(actors.Gate),
      measure: (_rt, h, n) => queued(h as Echoing, n),
    },
    {
      name: 'queued in a threaded pool',
      spawn: ({ rt, actors }) => rt.spawn(actors.ThreadedGate, { maxConcurrency: 1 }),
      measure: (_rt, h, n) => queued(h as Echoing, n),
    },
    {
      name: 'in flight on an async actor',
      spawn: ({ rt, actors }) => rt.spawn(actors.AsyncEcho),
      measure: (_rt, h, n) => inFlight(h as Echoing, n),
    },
    {
      name: 'cancelled, reverse order, serial actor',
      spawn: ({ rt, actors }) => rt.spawn(actors.Gate),
      measure: (rt, h, n) => cancelled(rt, h as Echoing, n),
    },
    {
      // The floor: the same burst as plain promises, no runtime (what V8 itself costs).
      name: 'pending as plain promises, no runtime (V8 alone)',
      spawn: () => undefined,
      measure: (_rt, _h, n) => plainPromises(n),
      floor: true,
    },
  ];
  const rounds = settings.quick ? 3 : Math.min(settings.rounds, 5);
  const rows: Figure[] = [];
  for (const c of cases) {
    const outcomes: Record<number, Outcome> = {};
    try {
      const h = c.spawn(t);
      await h?.ready();
      const samples: Record<number, number[]> = { [SMALL]: [], [LARGE]: [] };
      for (let round = 0; round < settings.warmup + rounds; round++) {
        for (const n of [SMALL, LARGE]) {
          const us = await c.measure(t.rt, h, n);
          if (round >= settings.warmup) samples[n]?.push(us);
        }
      }
      if (h !== undefined) await t.rt.kill(h);
      for (const n of [SMALL, LARGE]) {
        outcomes[n] = { stats: { perCall: stats(samples[n] ?? []) } };
      }
    } catch (error) {
      outcomes[SMALL] = { error: describe(error) };
      outcomes[LARGE] = { error: describe(error) };
    }
    rows.push(
      figure({
        group,
        name: `per-call cost, ${LARGE / 1000}k calls ${c.name}`,
        unit: 'µs/call',
        outcome: outcomes[LARGE],
        metric: 'perCall',
        baseline: { name: `${SMALL / 1000}k calls`, outcome: outcomes[SMALL] },
        ratioLabel: `x ${SMALL / 1000}k`,
        target: c.floor ? undefined : { text: '<= 1.5x (guarantee 5)', test: (r) => r <= 1.5 },
        note: `${SMALL / 1000}k and ${LARGE / 1000}k calls a round, ${rounds} rounds${
          c.floor ? "; V8's own step, for comparison" : ''
        }`,
      }),
    );
  }
  return rows;
}
