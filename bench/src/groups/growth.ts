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

/** One case's samples, µs a call, per size; or why it could not be measured. */
interface Measured {
  samples: Record<number, number[]>;
  error?: string;
}

/**
 * Guarantee 5: per-call cost with 200k calls queued, in flight and cancelled, against 10k. The
 * cases take turns round by round (the floor too), so that each round's growth of a case can be
 * set beside V8's own growth measured under the same load: on a shared machine the load of one
 * minute is not that of the next.
 */
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
  const handles: (Runtime.ActorHandle<object> | undefined)[] = [];
  const measured: Measured[] = cases.map(() => ({ samples: { [SMALL]: [], [LARGE]: [] } }));
  for (const [i, c] of cases.entries()) {
    try {
      const h = c.spawn(t);
      handles[i] = h;
      await h?.ready();
    } catch (error) {
      (measured[i] as Measured).error = describe(error);
    }
  }
  for (let round = 0; round < settings.warmup + rounds; round++) {
    for (const [i, c] of cases.entries()) {
      const m = measured[i] as Measured;
      if (m.error !== undefined) continue;
      try {
        for (const n of [SMALL, LARGE]) {
          const us = await c.measure(t.rt, handles[i], n);
          if (round >= settings.warmup) m.samples[n]?.push(us);
        }
      } catch (error) {
        m.error = describe(error);
      }
    }
  }
  for (const h of handles) if (h !== undefined) await t.rt.kill(h).catch(() => undefined);

  const outcomeOf = (m: Measured, n: number): Outcome =>
    m.error !== undefined ? { error: m.error } : { stats: { perCall: stats(m.samples[n] ?? []) } };
  /** Each round's µs a call added from 10k to 200k. */
  const stepOf = (m: Measured): number[] =>
    (m.samples[LARGE] ?? []).map((large, r) => large - (m.samples[SMALL]?.[r] ?? Number.NaN));
  const floorIndex = cases.findIndex((c) => c.floor === true);
  const floor = measured[floorIndex] as Measured;
  const floorOk = floor.error === undefined && (floor.samples[LARGE]?.length ?? 0) > 0;
  const floorGrowth = floorOk
    ? stats(floor.samples[LARGE] ?? []).median / stats(floor.samples[SMALL] ?? []).median
    : Number.NaN;
  const rows: Figure[] = [];
  const beyond: Figure[] = [];
  for (const [i, c] of cases.entries()) {
    const m = measured[i] as Measured;
    rows.push(
      figure({
        group,
        name: `per-call cost, ${LARGE / 1000}k calls ${c.name}`,
        unit: 'µs/call',
        outcome: outcomeOf(m, LARGE),
        metric: 'perCall',
        baseline: { name: `${SMALL / 1000}k calls`, outcome: outcomeOf(m, SMALL) },
        ratioLabel: `x ${SMALL / 1000}k`,
        target: c.floor ? undefined : { text: '<= 1.5x (guarantee 5)', test: (r) => r <= 1.5 },
        note: `${SMALL / 1000}k and ${LARGE / 1000}k calls a round, ${rounds} rounds${
          c.floor ? "; V8's own step, for comparison" : ''
        }`,
      }),
    );
    if (c.floor || !floorOk || m.error !== undefined) continue;
    // The µs a call this case adds from 10k to 200k, beside what V8 alone adds in the same
    // rounds: the collector's step for that many pending promises, which no runtime escapes.
    const growth = (rows[rows.length - 1] as Figure).ratio ?? Number.NaN;
    beyond.push(
      figure({
        group,
        name: `added per call from ${SMALL / 1000}k to ${LARGE / 1000}k, ${c.name}`,
        unit: 'µs/call',
        outcome: { stats: { step: stats(stepOf(m)) } },
        metric: 'step',
        baseline: { name: 'V8 alone', outcome: { stats: { step: stats(stepOf(floor)) } } },
        ratioLabel: "x V8's step",
        target: {
          text: "growth <= 1.5x, or step <= 1.5x V8's",
          test: (r) => growth <= 1.5 || r <= 1.5,
        },
        note: `growth ${growth.toFixed(2)}x, V8 alone's ${floorGrowth.toFixed(2)}x in the same rounds`,
      }),
    );
  }
  return [...rows, ...beyond];
}
