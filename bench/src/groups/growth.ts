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

/** Calls answered, and timed, while a queue is kept `n` deep. */
const KEPT = 400_000;

/**
 * µs a call while the actor's queue is kept `n` calls deep: the cost of each call with that many
 * queued, rather than of a burst that fills and drains the queue once. `n` calls queue behind a
 * held call; once the gate opens, each answer sends one more call (as a client with a window of
 * `n` calls does), until `KEPT` answers have come; the clock runs from the first answer to the
 * `KEPT`th, and the last `n` calls are drained untimed. A queue whose cost grows with its depth
 * shows here at every call.
 */
async function kept(h: Echoing, n: number): Promise<number> {
  const g = gate();
  const holding = h.hold(g);
  await held(g);
  let answered = 0;
  let sent = 0;
  let t0 = 0;
  let timed = (_t: number): void => undefined;
  let failed = (_error: unknown): void => undefined;
  const finished = new Promise<number>((resolve, reject) => {
    timed = resolve;
    failed = reject;
  });
  const drained: Promise<unknown>[] = [];
  const onAnswer = (): void => {
    answered++;
    if (answered === 1) t0 = now();
    else if (answered === KEPT) timed(now());
    if (sent < KEPT + n) send();
  };
  const send = (): void => {
    sent++;
    const call = h.echo(sent);
    if (sent > KEPT) drained.push(call);
    else call.then(onAnswer, failed);
  };
  for (let i = 0; i < n; i++) send();
  await tick();
  open(g);
  await holding;
  const t1 = await finished;
  await Promise.all(drained);
  return ((t1 - t0) * 1000) / (KEPT - 1);
}

/** Answers a batch settles at once, as a connection's batches of results do (`wire/batch.ts`). */
const BATCH = 1024;

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

/**
 * µs a call of `kept`'s scenario without Troupe: `n` plain promises are kept pending, each with a
 * reaction as `kept`'s calls have; a batch of the oldest is settled a tick, and each settlement's
 * reaction makes one more promise, until `KEPT` have settled. The step from 10k to 200k here is
 * what V8 charges for promises that live long enough to be promoted.
 */
async function plainKept(n: number): Promise<number> {
  const resolvers: (((value: unknown) => void) | undefined)[] = new Array(n).fill(undefined);
  let newest = 0;
  let oldest = 0;
  let settled = 0;
  const onSettled = (): void => {
    settled++;
    make();
  };
  const make = (): void => {
    const slot = newest;
    newest = (newest + 1) % n;
    new Promise((resolve) => {
      resolvers[slot] = resolve;
    }).then(onSettled);
  };
  for (let i = 0; i < n; i++) make();
  await tick();
  const t0 = now();
  for (let answered = 0; answered < KEPT; ) {
    for (let b = 0; b < BATCH && answered < KEPT; b++, answered++) {
      const resolve = resolvers[oldest] as (value: unknown) => void;
      resolvers[oldest] = undefined;
      oldest = (oldest + 1) % n;
      resolve(answered);
    }
    await tick();
  }
  const t1 = now();
  // The `n` promises still pending are dropped with `resolvers`: garbage, like settled ones.
  return settled >= KEPT ? ((t1 - t0) * 1000) / KEPT : Number.NaN;
}

/** Times a 10k round is measured, its median taken. */
const SMALL_REPEATS = 3;

/**
 * One round's µs a call at size `n`. A 10k round lasts a few milliseconds, so a collection it
 * inherits from the case before it (finishing that case's garbage) can double it: it is measured
 * three times and its median kept, for every case alike.
 */
async function measureRound(measure: () => Promise<number>, n: number): Promise<number> {
  if (n !== SMALL) return measure();
  const samples: number[] = [];
  for (let i = 0; i < SMALL_REPEATS; i++) samples.push(await measure());
  return stats(samples).median;
}

interface Case {
  name: string;
  /** The actor measured; undefined for the baseline without the runtime. */
  spawn(t: Awaited<ReturnType<typeof loadTroupe>>): Runtime.ActorHandle<object> | undefined;
  measure(rt: typeof Runtime, h: unknown, n: number): Promise<number>;
  /** A baseline for comparison, not held to the guarantee. */
  floor?: boolean;
  /**
   * The scenario: a burst that fills and drains once, or a queue kept that deep. Each case's
   * step is set beside its scenario's floor.
   */
  scenario: 'burst' | 'kept';
}

/** One case's samples, µs a call, per size; or why it could not be measured. */
interface Measured {
  samples: Record<number, number[]>;
  error?: string;
}

/**
 * Guarantee 5: per-call cost with 200k calls queued, in flight and cancelled, against 10k, in a
 * burst (made at once, then drained) and with a serial actor's queue kept that deep. Within a
 * scenario the cases take turns round by round (its floor too), so that each round's growth of a
 * case can be set beside V8's own growth in the same scenario under the same load: on a shared
 * machine the load of one minute is not that of the next.
 */
export async function run(settings: Settings): Promise<Figure[]> {
  const t = await loadTroupe();
  const cases: Case[] = [
    {
      name: 'queued in a serial actor',
      spawn: ({ rt, actors }) => rt.spawn(actors.Gate),
      measure: (_rt, h, n) => queued(h as Echoing, n),
      scenario: 'burst',
    },
    {
      name: 'queued in a threaded pool',
      spawn: ({ rt, actors }) => rt.spawn(actors.ThreadedGate, { maxConcurrency: 1 }),
      measure: (_rt, h, n) => queued(h as Echoing, n),
      scenario: 'burst',
    },
    {
      name: 'in flight on an async actor',
      spawn: ({ rt, actors }) => rt.spawn(actors.AsyncEcho),
      measure: (_rt, h, n) => inFlight(h as Echoing, n),
      scenario: 'burst',
    },
    {
      name: 'cancelled, reverse order, serial actor',
      spawn: ({ rt, actors }) => rt.spawn(actors.Gate),
      measure: (rt, h, n) => cancelled(rt, h as Echoing, n),
      scenario: 'burst',
    },
    {
      // The floor: the same burst as plain promises, no runtime (what V8 itself costs).
      name: 'pending as plain promises, no runtime (V8 alone)',
      spawn: () => undefined,
      measure: (_rt, _h, n) => plainPromises(n),
      floor: true,
      scenario: 'burst',
    },
    {
      name: `kept queued in a serial actor (${KEPT / 1000}k calls answered)`,
      spawn: ({ rt, actors }) => rt.spawn(actors.Gate),
      measure: (_rt, h, n) => kept(h as Echoing, n),
      scenario: 'kept',
    },
    {
      // The same scenario's floor: that many promises kept pending, no runtime.
      name: 'kept pending as plain promises, no runtime (V8 alone)',
      spawn: () => undefined,
      measure: (_rt, _h, n) => plainKept(n),
      floor: true,
      scenario: 'kept',
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
  // One scenario's rounds after the other's: a round of a queue kept 200k deep leaves the old
  // generation full of garbage, which the next burst would pay for.
  for (const scenario of ['burst', 'kept'] as const) {
    for (let round = 0; round < settings.warmup + rounds; round++) {
      for (const [i, c] of cases.entries()) {
        const m = measured[i] as Measured;
        if (c.scenario !== scenario || m.error !== undefined) continue;
        try {
          for (const n of [SMALL, LARGE]) {
            const us = await measureRound(() => c.measure(t.rt, handles[i], n), n);
            if (round >= settings.warmup) m.samples[n]?.push(us);
          }
        } catch (error) {
          m.error = describe(error);
        }
      }
    }
  }
  for (const h of handles) if (h !== undefined) await t.rt.kill(h).catch(() => undefined);

  const outcomeOf = (m: Measured, n: number): Outcome =>
    m.error !== undefined ? { error: m.error } : { stats: { perCall: stats(m.samples[n] ?? []) } };
  /** Each round's µs a call added from 10k to 200k. */
  const stepOf = (m: Measured): number[] =>
    (m.samples[LARGE] ?? []).map((large, r) => large - (m.samples[SMALL]?.[r] ?? Number.NaN));
  /** A scenario's floor: its samples, and the growth of its median from 10k to 200k. */
  const floorOf = (scenario: Case['scenario']): { m: Measured; growth: number } | undefined => {
    const i = cases.findIndex((c) => c.floor === true && c.scenario === scenario);
    const m = measured[i];
    if (m === undefined || m.error !== undefined || (m.samples[LARGE]?.length ?? 0) === 0) {
      return undefined;
    }
    const growth = stats(m.samples[LARGE] ?? []).median / stats(m.samples[SMALL] ?? []).median;
    return { m, growth };
  };
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
        note: `${
          c.scenario === 'kept'
            ? `kept ${SMALL / 1000}k and ${LARGE / 1000}k deep while ${KEPT / 1000}k are answered`
            : `${SMALL / 1000}k and ${LARGE / 1000}k calls`
        } a round, ${rounds} rounds${c.floor ? "; V8's own step, for comparison" : ''}`,
      }),
    );
    const floor = floorOf(c.scenario);
    if (c.floor || floor === undefined || m.error !== undefined) continue;
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
        baseline: { name: 'V8 alone', outcome: { stats: { step: stats(stepOf(floor.m)) } } },
        ratioLabel: "x V8's step",
        target: {
          text: "growth <= 1.5x, or step <= 1.5x V8's",
          // A V8 step at or below zero (its 10k round paid for garbage it inherited) says
          // nothing: then only the growth counts.
          test: (r) => growth <= 1.5 || (stats(stepOf(floor.m)).median > 0 && r <= 1.5),
        },
        note: `growth ${growth.toFixed(2)}x, V8 alone's ${floor.growth.toFixed(2)}x in the same rounds`,
      }),
    );
  }
  return [...rows, ...beyond];
}
