/** The compute sample: Mandelbrot bands, CPU-bound JavaScript, on the three kinds of actor. */
import { availableParallelism } from 'node:os';
import { spawn } from '@troupe/runtime';
import { SerialBaseline } from '../common/baseline.js';
import { isMain } from '../common/cli.js';
import { digestOf } from '../common/digest.js';
import { type InFlightGauge, newGauge } from '../common/in-flight.js';
import { KINDS, type Kind } from '../common/kinds.js';
import { formatMs, type Measured, measure } from '../common/measure.js';
import { barrierFor, type SampleOptions } from '../common/options.js';
import type { KindRun, SampleReport } from '../common/report.js';
import { runStandalone } from '../common/standalone.js';
import { AsyncComputeActor, SyncComputeActor, ThreadedComputeActor } from './actors.js';
import type { BandJob, BandResult } from './mandelbrot.js';

const BANDS = 16;
const MAX_ITERATIONS = 1000;
export const IMAGE_SIZE = 2000;
const QUICK_IMAGE_SIZE = 400;

/** The sample's bands, in call order: the cluster demo computes the same ones. */
export function bandJobs(quick: boolean): BandJob[] {
  const size = quick ? QUICK_IMAGE_SIZE : IMAGE_SIZE;
  return Array.from({ length: BANDS }, (_, index) => ({
    size,
    bands: BANDS,
    index,
    maxIterations: MAX_ITERATIONS,
  }));
}

export async function runCompute(options: SampleOptions): Promise<SampleReport> {
  const size = options.quick ? QUICK_IMAGE_SIZE : IMAGE_SIZE;
  const jobs = bandJobs(options.quick);
  const cores = availableParallelism();
  // One thread per core: more threads than cores only share them. Two at least, or it is serial.
  const threads = Math.max(2, cores);
  const runs: KindRun[] = [];
  const baseline = new SerialBaseline('compute', 'bands');
  for (const kind of KINDS) {
    const gauge = newGauge();
    const limit = kind === 'serial' ? 1 : threads;
    const measured = await computeAll(kind, jobs, threads, gauge, limit, options);
    const digest = digestOf(measured.results.map((r) => r.iterations));
    baseline.check(kind, digest, measured.results);
    // An async actor has one thread whatever its limit; a threaded one has `limit` of `cores`.
    const parallel = kind === 'threaded' ? Math.min(limit, cores) : 1;
    runs.push({
      kind,
      maxConcurrency: limit,
      calls: jobs.length,
      timeMs: measured.timeMs,
      creationMs: measured.creationMs,
      idealMs: Math.max(baseline.longestMs, baseline.workMs / parallel),
      peakInFlight: measured.peakInFlight,
      digest,
    });
  }
  return {
    sample: 'compute',
    title: `${jobs.length} Mandelbrot bands, ${size}²`,
    runs,
    notes: [
      `${jobs.length} interleaved bands of a ${size}×${size} Mandelbrot image (≤ ${MAX_ITERATIONS} iterations) in plain JavaScript; ideal = serial band time / threads with a core of their own (async: 1), at least the longest band (${formatMs(baseline.longestMs)})`,
    ],
  };
}

function computeAll(
  kind: Kind,
  jobs: BandJob[],
  threads: number,
  gauge: InFlightGauge,
  limit: number,
  options: SampleOptions,
): Promise<Measured<BandResult>> {
  const plan = {
    label: `compute ${kind}`,
    calls: jobs.length,
    gauge,
    barrier: barrierFor(options, limit),
  };
  const args: [InFlightGauge] = [gauge];
  switch (kind) {
    case 'serial':
      return measure(
        {
          ...plan,
          spawn: () => spawn(SyncComputeActor, { args }),
          call: (a, i) => a.band(jobs[i]),
        },
        options.progress,
      );
    case 'async':
      return measure(
        {
          ...plan,
          spawn: () => spawn(AsyncComputeActor, { args, maxConcurrency: threads }),
          call: (a, i) => a.band(jobs[i]),
        },
        options.progress,
      );
    case 'threaded':
      return measure(
        {
          ...plan,
          spawn: () => spawn(ThreadedComputeActor, { args, maxConcurrency: threads }),
          call: (a, i) => a.band(jobs[i]),
        },
        options.progress,
      );
  }
}

if (isMain(import.meta.url)) await runStandalone('compute', runCompute);
