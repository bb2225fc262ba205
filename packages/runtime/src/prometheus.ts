/**
 * `@troupe/runtime/prometheus`: Troupe's metrics as Prometheus series, collected at each scrape
 * by a prom-client registry (prom-client is an optional peer dependency: install it to use this).
 *
 * Series: `troupe_calls_total{class,actor,method,outcome}`, `troupe_call_duration_seconds` and
 * `troupe_call_queue_seconds{class,actor,method}` (histograms, buckets
 * `TROUPE_BUCKETS_SECONDS`: 10 µs to 10 s), `troupe_calls_in_flight{class,actor}`,
 * `troupe_calls_queued{class,actor}`, `troupe_actors{kind}`,
 * `troupe_actor_restarts_total{class,actor}`. `actor` is the name the user gave, else the class
 * name, so its values stay few however many actors come and go.
 *
 * @example
 * import { register } from 'prom-client';
 * import { registerMetrics } from '@troupe/runtime/prometheus';
 * registerMetrics(register);
 * // … res.end(await register.metrics());
 */
import { type CollectedMetric, troupeSeries } from './observe/prometheus.js';

export {
  type CollectedMetric,
  type Sample,
  TROUPE_BUCKETS_SECONDS,
} from './observe/prometheus.js';

/** What `registerMetrics` needs of a prom-client `Registry`. */
export interface MetricRegistry {
  registerMetric(metric: CollectedMetric): void;
}

/** Registers the `troupe_*` series with `registry` (prom-client's `register`, or your own). */
export function registerMetrics(registry: MetricRegistry): void {
  for (const metric of troupeSeries()) registry.registerMetric(metric);
}
