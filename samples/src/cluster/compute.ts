/** The CPU experiment (Mandelbrot bands) with one actor of each kind on every node. */
import { availableParallelism } from 'node:os';
import { spawn } from '@troupe/runtime';
import { digestOf } from '../common/digest.js';
import { KINDS, type Kind } from '../common/kinds.js';
import type { SampleOptions } from '../common/options.js';
import { AsyncComputeActor, SyncComputeActor, ThreadedComputeActor } from '../compute/actors.js';
import type { BandJob, BandResult } from '../compute/mandelbrot.js';
import { bandJobs } from '../compute/run.js';
import type { ClusterRun } from './report.js';
import { measureSpread, type SpreadMeasured } from './spread.js';

/**
 * Threads each node's threaded compute actor takes: this machine's cores shared by the nodes,
 * two at least (or it is a serial actor). On machines of their own, each node would take its
 * own cores.
 */
export function computeThreadsPerNode(nodes: number): number {
  return Math.max(2, Math.ceil(availableParallelism() / nodes));
}

export async function runClusterCompute(
  nodes: readonly string[],
  options: SampleOptions,
): Promise<{ runs: ClusterRun[]; notes: string[] }> {
  const jobs = bandJobs(options.quick);
  const threads = computeThreadsPerNode(nodes.length);
  const runs: ClusterRun[] = [];
  let serialDigest: string | undefined;
  for (const kind of KINDS) {
    const measured = await computeAll(kind, nodes, jobs, threads, options);
    const digest = digestOf(measured.results.map((r) => r.iterations));
    serialDigest ??= digest;
    if (digest !== serialDigest) {
      throw new Error(
        `compute on ${nodes.length} nodes: the ${kind} actors' bands differ from the serial actors'`,
      );
    }
    runs.push({
      sample: 'compute',
      kind,
      maxConcurrency: kind === 'serial' ? 1 : threads,
      calls: jobs.length,
      timeMs: measured.timeMs,
      creationMs: measured.creationMs,
      digest,
      shares: measured.shares,
    });
  }
  const size = jobs[0]?.size ?? 0;
  return {
    runs,
    notes: [
      `compute: ${jobs.length} bands of a ${size}×${size} Mandelbrot image, call i to node i mod ${nodes.length}; the nodes share this machine's ${availableParallelism()} cores, so together they cannot beat one thread by more than that (no ideal given); on machines of their own each node brings its cores`,
    ],
  };
}

function computeAll(
  kind: Kind,
  nodes: readonly string[],
  jobs: BandJob[],
  threads: number,
  options: SampleOptions,
): Promise<SpreadMeasured<BandResult>> {
  // Each actor's own gauge (see flags.ts): shared memory does not cross machines.
  const args = (): [Int32Array] => [new Int32Array(2)];
  const plan = { label: `compute ${kind}`, nodes, calls: jobs.length };
  const job = (i: number) => jobs[i] as BandJob;
  switch (kind) {
    case 'serial':
      return measureSpread(
        {
          ...plan,
          spawn: (node) => spawn(SyncComputeActor, { args: args(), placement: { node } }),
          call: (a, i) => a.band(job(i)),
        },
        options.progress,
      );
    case 'async':
      return measureSpread(
        {
          ...plan,
          spawn: (node) =>
            spawn(AsyncComputeActor, {
              args: args(),
              maxConcurrency: threads,
              placement: { node },
            }),
          call: (a, i) => a.band(job(i)),
        },
        options.progress,
      );
    case 'threaded':
      return measureSpread(
        {
          ...plan,
          spawn: (node) =>
            spawn(ThreadedComputeActor, {
              args: args(),
              maxConcurrency: threads,
              placement: { node },
            }),
          call: (a, i) => a.band(job(i)),
        },
        options.progress,
      );
  }
}
