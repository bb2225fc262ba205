/**
 * The `troupe_*` series, as metric objects a prom-client registry collects at each scrape: they
 * read `metrics()` then, so nothing is counted twice and nothing runs between scrapes.
 */
import { listActors } from '../supervisor/owned.js';
import { BUCKETS_S } from './layout.js';
import { type ActorMetrics, type Histogram, metrics } from './metrics.js';

type Labels = Record<string, string | number>;

/** One sample, as prom-client's registry formats it. */
export interface Sample {
  metricName?: string;
  labels: Labels;
  value: number;
}

/** What a prom-client registry accepts (`registry.registerMetric`): it calls `get` at each scrape. */
export interface CollectedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{
    name: string;
    help: string;
    type: string;
    values: Sample[];
    aggregator: 'sum';
  }>;
  reset(): void;
}

/** Histogram bounds of `troupe_call_duration_seconds` and `troupe_call_queue_seconds`. */
export const TROUPE_BUCKETS_SECONDS = BUCKETS_S;

let snapshot: ActorMetrics[] | undefined;

/** One `metrics()` per scrape: the registry asks every series in the same tick. */
function current(): ActorMetrics[] {
  if (snapshot === undefined) {
    snapshot = metrics();
    queueMicrotask(() => {
      snapshot = undefined;
    });
  }
  return snapshot;
}

function series(
  name: string,
  help: string,
  type: CollectedMetric['type'],
  collect: () => Sample[],
): CollectedMetric {
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, values: collect(), aggregator: 'sum' }),
    reset: () => {},
  };
}

function histogramSamples(name: string, labels: Labels, h: Histogram): Sample[] {
  return [
    ...h.buckets.map((b) => ({
      metricName: `${name}_bucket`,
      labels: { ...labels, le: b.le === Number.POSITIVE_INFINITY ? '+Inf' : b.le },
      value: b.count,
    })),
    { metricName: `${name}_sum`, labels, value: h.sum },
    { metricName: `${name}_count`, labels, value: h.count },
  ];
}

/** The `troupe_*` series, to register with a prom-client registry. */
export function troupeSeries(): CollectedMetric[] {
  const perMethod = (name: string, pick: 'runTime' | 'queueWait') => () =>
    current().flatMap((group) =>
      group.methods.flatMap((m) =>
        histogramSamples(
          name,
          { class: group.class, actor: group.actor, method: m.method },
          m[pick],
        ),
      ),
    );
  const perActor = (pick: 'inFlight' | 'queued' | 'restarts') => () =>
    current().map((group) => ({
      labels: { class: group.class, actor: group.actor },
      value: group[pick],
    }));
  return [
    series(
      'troupe_calls_total',
      'Calls that ended, by outcome (ok, error, cancelled, dropped).',
      'counter',
      () =>
        current().flatMap((group) =>
          group.methods.flatMap((m) =>
            Object.entries(m.calls).map(([outcome, value]) => ({
              labels: { class: group.class, actor: group.actor, method: m.method, outcome },
              value,
            })),
          ),
        ),
    ),
    series(
      'troupe_call_duration_seconds',
      'Run time of calls, from their start in the actor to their end.',
      'histogram',
      perMethod('troupe_call_duration_seconds', 'runTime'),
    ),
    series(
      'troupe_call_queue_seconds',
      "Time calls waited in the actor's queue before they started.",
      'histogram',
      perMethod('troupe_call_queue_seconds', 'queueWait'),
    ),
    series('troupe_calls_in_flight', 'Calls running now.', 'gauge', perActor('inFlight')),
    series('troupe_calls_queued', 'Calls waiting to start.', 'gauge', perActor('queued')),
    series('troupe_actors', 'Live actors, by kind.', 'gauge', () => {
      const byKind = { serial: 0, async: 0, threaded: 0 } as Record<string, number>;
      for (const actor of listActors()) byKind[actor.kind] = (byKind[actor.kind] ?? 0) + 1;
      return Object.entries(byKind).map(([kind, value]) => ({ labels: { kind }, value }));
    }),
    series(
      'troupe_actor_restarts_total',
      'Times actors were rebuilt after a crash (threads replaced, for threaded actors).',
      'counter',
      perActor('restarts'),
    ),
  ];
}
