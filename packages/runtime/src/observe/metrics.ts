/**
 * `metrics()`: calls per actor and method, read from the observation rooms of every host this
 * thread started (see hosts.ts). Actors are grouped by class and by the name the user gave
 * (else the class name), so the groups stay few however many actors come and go; the counts of
 * actors that ended stay in their group.
 */
import { ownedRecord } from '../supervisor/owned.js';
import type { ActorKind } from '../wire/protocol.js';
import { type ActorMemory, forgetActor, observedActors } from './hosts.js';
import { BUCKETS_S, HISTOGRAM_BINS, MethodSlot, Observed } from './layout.js';

/** How calls ended, as `metrics()` and the `outcome` label name them. */
export type Outcome = 'ok' | 'error' | 'cancelled' | 'dropped';
const OUTCOMES: readonly Outcome[] = ['ok', 'error', 'cancelled', 'dropped'];

/** A histogram of durations in seconds. */
export interface Histogram {
  count: number;
  /** Seconds, all calls together. */
  sum: number;
  /** Cumulative counts: calls that took at most `le` seconds (the last `le` is Infinity). */
  buckets: { le: number; count: number }[];
  /** Estimated from the buckets (as Prometheus' `histogram_quantile` does), in seconds. */
  p50: number;
  p90: number;
  p99: number;
}

export interface MethodMetrics {
  method: string;
  /** Calls by outcome. `error`: the method threw; `cancelled`: withdrawn while queued (a cancel or
   * a timeout); `dropped`: never ran because the actor was ending. */
  calls: Record<Outcome, number>;
  /** From a call reaching the actor's thread to its start. */
  queueWait: Histogram;
  /** From a call's start to its end (for an async method, until its promise settles). */
  runTime: Histogram;
}

/** The actors of one class and name (see `actor`), live and ended. */
export interface ActorMetrics {
  class: string;
  /** The name the user gave (spawn or `@actor` option), else the class name. */
  actor: string;
  kind: ActorKind;
  /** Names of the live actors in this group (`Counter#1`…). */
  live: string[];
  threads: number;
  inFlight: number;
  queued: number;
  restarts: number;
  methods: MethodMetrics[];
}

/** What the groups of ended actors keep. */
interface Retired {
  kind: ActorKind;
  restarts: number;
  counters: Map<string, number[]>;
}

const retired = new Map<string, Retired>();

function keyOf(className: string, label: string): string {
  return `${className}\u0000${label}`;
}

/** Adds the counters of every host of `actor` into `into`, by method name. */
function addCounters(actor: ActorMemory, into: Map<string, number[]>): void {
  const methods = actor.info.methods;
  for (const host of actor.hosts) {
    const { room } = host;
    if ((room.flags & Observed.Metrics) === 0) continue;
    for (let m = 0; m < methods.length; m++) {
      const name = methods[m] as string;
      let sums = into.get(name);
      if (sums === undefined) {
        sums = new Array(MethodSlot.WaitBins + HISTOGRAM_BINS).fill(0);
        into.set(name, sums);
      }
      const at = room.methodAt(m);
      for (let i = 0; i < sums.length; i++) {
        sums[i] = (sums[i] as number) + (room.counters[at + i] as number);
      }
    }
  }
}

/**
 * Calls per actor group and method, counted in the actors' threads: by outcome, with histograms
 * of queue wait and run time, and the calls in flight and queued now. Covers the actors this
 * thread spawned while metrics were on (the default; `TROUPE_METRICS=0` turns them off).
 *
 * @example
 * for (const group of metrics()) for (const m of group.methods) console.log(group.actor, m.method, m.runTime.p99);
 */
export function metrics(): ActorMetrics[] {
  const groups = new Map<string, ActorMetrics & { sums: Map<string, number[]> }>();
  const groupOf = (className: string, label: string, kind: ActorKind) => {
    const key = keyOf(className, label);
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        class: className,
        actor: label,
        kind,
        live: [],
        threads: 0,
        inFlight: 0,
        queued: 0,
        restarts: 0,
        methods: [],
        sums: new Map(),
      };
      groups.set(key, group);
    }
    return group;
  };
  for (const actor of [...observedActors()]) {
    const record = ownedRecord(actor.info.actorId);
    if (record === undefined) {
      if (!actor.retired) retire(actor);
      continue;
    }
    const group = groupOf(actor.className, actor.label, actor.info.kind);
    const summary = record.summary();
    group.live.push(actor.info.name);
    group.threads += summary.threads;
    group.inFlight += summary.running;
    group.queued += summary.queued;
    group.restarts += summary.restarts;
    addCounters(actor, group.sums);
  }
  for (const [key, old] of retired) {
    const [className, label] = key.split('\u0000') as [string, string];
    const group = groupOf(className, label, old.kind);
    group.restarts += old.restarts;
    for (const [method, sums] of old.counters) {
      const into = group.sums.get(method);
      if (into === undefined) group.sums.set(method, [...sums]);
      else
        for (let i = 0; i < sums.length; i++) into[i] = (into[i] as number) + (sums[i] as number);
    }
  }
  return [...groups.values()].map(({ sums, ...group }) => ({
    ...group,
    methods: [...sums].map(([method, s]) => methodMetrics(method, s)),
  }));
}

/** An actor ended: its counts stay in its group, its rooms are let go (unless the timeline keeps them). */
function retire(actor: ActorMemory): void {
  actor.retired = true;
  const key = keyOf(actor.className, actor.label);
  let old = retired.get(key);
  if (old === undefined) {
    old = { kind: actor.info.kind, restarts: 0, counters: new Map() };
    retired.set(key, old);
  }
  const replicas = new Set<number>();
  let starts = 0;
  for (const host of actor.hosts) {
    starts++;
    replicas.add(host.replica);
  }
  old.restarts += starts - replicas.size;
  addCounters(actor, old.counters);
  // The timeline may still read the rings.
  if (!actor.timeline) forgetActor(actor.info.actorId);
}

function methodMetrics(method: string, s: number[]): MethodMetrics {
  const calls = {} as Record<Outcome, number>;
  OUTCOMES.forEach((outcome, i) => {
    calls[outcome] = s[i] as number;
  });
  return {
    method,
    calls,
    queueWait: histogram(s, MethodSlot.WaitBins, s[MethodSlot.WaitSum] as number),
    runTime: histogram(s, MethodSlot.RunBins, s[MethodSlot.RunSum] as number),
  };
}

function histogram(s: number[], at: number, sum: number): Histogram {
  const buckets: { le: number; count: number }[] = [];
  let count = 0;
  for (let i = 0; i < HISTOGRAM_BINS; i++) {
    count += s[at + i] as number;
    buckets.push({ le: BUCKETS_S[i] ?? Number.POSITIVE_INFINITY, count });
  }
  return {
    count,
    sum,
    buckets,
    p50: quantile(buckets, 0.5),
    p90: quantile(buckets, 0.9),
    p99: quantile(buckets, 0.99),
  };
}

/** The q-quantile by linear interpolation inside its bucket, as `histogram_quantile` does. */
function quantile(buckets: { le: number; count: number }[], q: number): number {
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total === 0) return 0;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lower;
      const inBucket = count - below;
      return inBucket === 0 ? le : lower + ((le - lower) * (rank - below)) / inBucket;
    }
    lower = le;
    below = count;
  }
  return lower;
}
