/**
 * The sleep actors: each `sleep(ms)` waits and returns `ms`. No top-level effects: every actor
 * thread imports this module.
 */
import { setTimeout as wait } from 'node:timers/promises';
import { actor } from '@troupe/runtime';
import { blockingSleep } from '../common/blocking-sleep.js';
import { enter, enterAsync, type InFlightGauge, leave } from '../common/in-flight.js';

/** Ray's regular actor with `time.sleep`: one sleeper at a time. */
@actor()
export class SyncSleepActor {
  constructor(private readonly gauge: InFlightGauge) {}

  sleep(ms: number): number {
    enter(this.gauge);
    try {
      blockingSleep(ms);
      return ms;
    } finally {
      leave(this.gauge);
    }
  }
}

/** Sleepers interleave on one event loop: awaiting a timer frees it for the next call. */
@actor({ maxConcurrency: 10 })
export class AsyncSleepActor {
  constructor(private readonly gauge: InFlightGauge) {}

  async sleep(ms: number): Promise<number> {
    await enterAsync(this.gauge);
    try {
      await wait(ms);
      return ms;
    } finally {
      leave(this.gauge);
    }
  }
}

/** The sync sleeper, unchanged, on 10 threads: each blocks its own thread in `Atomics.wait`. */
@actor({ maxConcurrency: 10 })
export class ThreadedSleepActor extends SyncSleepActor {}
