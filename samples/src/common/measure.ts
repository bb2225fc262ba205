import { type ActorHandle, kill } from '@troupe/runtime';
import { armBarrier, type InFlightGauge, peakOf, resetGauge } from './in-flight.js';
import type { Progress } from './progress.js';

/** How to run one sample on one kind of actor: a spawn, and `calls` calls made all at once. */
export interface RunPlan<A extends object, R> {
  label: string;
  spawn: () => ActorHandle<A>;
  /** Work that completes creation after `ready()`, such as an async actor's connection. */
  prepare?: (actor: ActorHandle<A>) => Promise<unknown>;
  calls: number;
  call: (actor: ActorHandle<A>, index: number) => Promise<R>;
  /** The gauge passed to the actor, read back for the peak of calls in flight. */
  gauge: InFlightGauge;
  /**
   * For tests: hold each call inside the actor until this many are in flight (or all have
   * arrived), so the peak is certain rather than left to timing; the times then mean nothing.
   */
  barrier?: number | undefined;
}

export interface Measured<R> {
  /** In call order, whatever order they finished in. */
  results: R[];
  timeMs: number;
  creationMs: number;
  peakInFlight: number;
}

/**
 * Spawns the actor and waits until it is ready, then makes every call at once and times them
 * from the first call to the last result, as the seed's figures do: creation is timed apart, so
 * starting twenty threads does not hide in (or inflate) the time the calls took.
 */
export async function measure<A extends object, R>(
  plan: RunPlan<A, R>,
  progress: Progress,
): Promise<Measured<R>> {
  // The bar shows 0/N while the actor starts: twenty threads take a moment.
  progress.start(plan.label, plan.calls);
  const spawnedAt = performance.now();
  const actor = plan.spawn();
  try {
    await actor.ready();
    await plan.prepare?.(actor);
    const creationMs = performance.now() - spawnedAt;
    resetGauge(plan.gauge);
    if (plan.barrier !== undefined) armBarrier(plan.gauge, plan.barrier, plan.calls);
    const startedAt = performance.now();
    const pending = Array.from({ length: plan.calls }, (_, index) =>
      plan.call(actor, index).then((result) => {
        progress.tick();
        return result;
      }),
    );
    const results = await Promise.all(pending);
    const timeMs = performance.now() - startedAt;
    progress.done(formatMs(timeMs));
    return { results, timeMs, creationMs, peakInFlight: peakOf(plan.gauge) };
  } catch (error) {
    progress.done('failed'); // ends the bar's line, so the error prints on a line of its own
    throw error;
  } finally {
    await kill(actor);
  }
}

/** Milliseconds as the table prints them: seconds with two decimals, or ms below a tenth. */
export function formatMs(ms: number): string {
  return ms < 100 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
