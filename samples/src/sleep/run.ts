/** The sleep sample: 10 sleeping tasks of 1–3 s (scaled) on the three kinds of actor. */
import { spawn } from '@troupe/runtime';
import { isMain } from '../common/cli.js';
import { digestOf } from '../common/digest.js';
import { type InFlightGauge, newGauge } from '../common/in-flight.js';
import { KINDS, type Kind } from '../common/kinds.js';
import { type Measured, measure } from '../common/measure.js';
import { barrierFor, type SampleOptions } from '../common/options.js';
import type { KindRun, SampleReport } from '../common/report.js';
import { runStandalone } from '../common/standalone.js';
import { AsyncSleepActor, SyncSleepActor, ThreadedSleepActor } from './actors.js';
import { sleepDurations, TASKS } from './durations.js';

/** Seconds of the seed become tenths here; `--quick` makes them twentieths. */
export const SLEEP_SCALE = 0.1;
export const QUICK_SLEEP_SCALE = 0.05;
const CONCURRENCY = 10;

export async function runSleep(options: SampleOptions): Promise<SampleReport> {
  const scale = options.quick ? QUICK_SLEEP_SCALE : SLEEP_SCALE;
  const durations = sleepDurations(scale);
  const total = durations.reduce((sum, ms) => sum + ms, 0);
  const longest = Math.max(...durations);
  const runs: KindRun[] = [];
  for (const kind of KINDS) {
    const gauge = newGauge();
    const limit = kind === 'serial' ? 1 : CONCURRENCY;
    const measured = await sleepAll(kind, durations, gauge, limit, options);
    if (measured.results.some((ms, i) => ms !== durations[i])) {
      throw new Error(`sleep on the ${kind} actor returned ${measured.results}, not ${durations}`);
    }
    runs.push({
      kind,
      maxConcurrency: limit,
      calls: TASKS,
      timeMs: measured.timeMs,
      creationMs: measured.creationMs,
      // No schedule beats the longest task, nor the total shared evenly over `limit` sleepers.
      idealMs: Math.max(longest, total / limit),
      peakInFlight: measured.peakInFlight,
      digest: digestOf(measured.results),
    });
  }
  return {
    sample: 'sleep',
    title: `10 tasks of 1–3 s × ${scale}`,
    runs,
    notes: [
      `${TASKS} sleeps of ${Math.min(...durations)}–${longest} ms (the seed's 1–3 s × ${scale}, seeded), ${total} ms in all; ideal = max(longest, total / limit)`,
    ],
  };
}

function sleepAll(
  kind: Kind,
  durations: number[],
  gauge: InFlightGauge,
  limit: number,
  options: SampleOptions,
): Promise<Measured<number>> {
  const plan = {
    label: `sleep ${kind}`,
    calls: durations.length,
    gauge,
    barrier: barrierFor(options, limit),
  };
  const args: [InFlightGauge] = [gauge];
  switch (kind) {
    case 'serial':
      return measure(
        {
          ...plan,
          spawn: () => spawn(SyncSleepActor, { args }),
          call: (a, i) => a.sleep(durations[i]),
        },
        options.progress,
      );
    case 'async':
      return measure(
        {
          ...plan,
          spawn: () => spawn(AsyncSleepActor, { args }),
          call: (a, i) => a.sleep(durations[i]),
        },
        options.progress,
      );
    case 'threaded':
      return measure(
        {
          ...plan,
          spawn: () => spawn(ThreadedSleepActor, { args }),
          call: (a, i) => a.sleep(durations[i]),
        },
        options.progress,
      );
  }
}

if (isMain(import.meta.url)) await runStandalone('sleep', runSleep);
