/**
 * The compute actors: `band(job)` computes one band of a Mandelbrot image. No top-level effects:
 * every actor thread imports this module.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { actor } from '@troupe/runtime';
import { enter, enterAsync, type InFlightGauge, leave } from '../common/in-flight.js';
import { type BandJob, type BandResult, bandRows, rowIterations } from './mandelbrot.js';

function computeBand(job: BandJob): BandResult {
  const startedAt = performance.now();
  let iterations = 0;
  for (const y of bandRows(job)) iterations += rowIterations(job, y);
  return { index: job.index, iterations, ms: performance.now() - startedAt };
}

/** One band at a time on one thread. */
@actor()
export class SyncComputeActor {
  constructor(private readonly gauge: InFlightGauge) {}

  band(job: BandJob): BandResult {
    enter(this.gauge);
    try {
      return computeBand(job);
    } finally {
      leave(this.gauge);
    }
  }
}

/**
 * Bands interleave, yielding to the event loop after every row, yet they share one thread: the
 * calls are concurrent but the work is not parallel, so the time cannot drop.
 */
@actor({ maxConcurrency: 4 })
export class AsyncComputeActor {
  constructor(private readonly gauge: InFlightGauge) {}

  async band(job: BandJob): Promise<BandResult> {
    await enterAsync(this.gauge);
    try {
      const startedAt = performance.now();
      let iterations = 0;
      for (const y of bandRows(job)) {
        iterations += rowIterations(job, y);
        await yieldToLoop();
      }
      return { index: job.index, iterations, ms: performance.now() - startedAt };
    } finally {
      leave(this.gauge);
    }
  }
}

/** The sync actor, unchanged, on several threads: JavaScript runs in parallel, one band each. */
@actor({ maxConcurrency: 4 })
export class ThreadedComputeActor extends SyncComputeActor {}
