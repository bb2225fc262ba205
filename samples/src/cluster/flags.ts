/** The seed's 20 flag downloads with one actor of each kind on every node. */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from '@troupe/runtime';
import { digestOf } from '../common/digest.js';
import { KINDS, type Kind } from '../common/kinds.js';
import type { SampleOptions } from '../common/options.js';
import { AsyncFlagActor, SyncFlagActor, ThreadedFlagActor } from '../flags/actors.js';
import { COUNTRIES } from '../flags/countries.js';
import { flagFiles } from '../flags/images.js';
import { DEFAULT_LATENCY_MS } from '../flags/run.js';
import { startFlagServer } from '../flags/server.js';
import { checkDownloads } from '../flags/verify.js';
import type { ClusterRun } from './report.js';
import { measureSpread, type SpreadMeasured } from './spread.js';

const QUICK_LATENCY_MS = 100;
/** The single-process async actor's limit: every download of the sample at once. */
const ASYNC_LIMIT = 20;

/** Threads each node's threaded flag actor takes: its share of the 20 downloads, one each. */
export function flagThreadsPerNode(nodes: number): number {
  return Math.ceil(COUNTRIES.length / nodes);
}

export async function runClusterFlags(
  nodes: readonly string[],
  options: SampleOptions,
): Promise<{ runs: ClusterRun[]; notes: string[] }> {
  const latencyMs = options.latencyMs ?? (options.quick ? QUICK_LATENCY_MS : DEFAULT_LATENCY_MS);
  const files = flagFiles();
  // On loopback: the nodes of this demo run on this machine (see samples/README.md).
  const server = await startFlagServer(files, latencyMs);
  const runs: ClusterRun[] = [];
  const threads = flagThreadsPerNode(nodes.length);
  const perNode = Math.ceil(COUNTRIES.length / nodes.length);
  try {
    for (const kind of KINDS) {
      // Every node writes its share into the one directory, checked whole below.
      const dir = join(options.outDir, 'downloads', 'cluster', kind);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const measured = await downloadAll(kind, nodes, server.baseUrl, dir, threads, options);
      const problems = checkDownloads(dir, files, measured.results);
      if (problems.length > 0) {
        throw new Error(
          `flags on the ${kind} actors of ${nodes.length} nodes: downloads are not whole:\n${problems.join('\n')}`,
        );
      }
      const limit = kind === 'serial' ? 1 : kind === 'async' ? ASYNC_LIMIT : threads;
      runs.push({
        sample: 'flags',
        kind,
        maxConcurrency: limit,
        calls: COUNTRIES.length,
        timeMs: measured.timeMs,
        creationMs: measured.creationMs,
        idealMs: latencyMs * Math.ceil(perNode / limit),
        digest: digestOf(measured.results),
        shares: measured.shares,
      });
    }
  } finally {
    await server.close();
  }
  return {
    runs,
    notes: [
      `flags: 20 PNG flags from 127.0.0.1, ${latencyMs} ms per response, call i to node i mod ${nodes.length}; ideal = latency × ceil(${perNode} per node / limit); every file checked whole (size, SHA-256)`,
    ],
  };
}

function downloadAll(
  kind: Kind,
  nodes: readonly string[],
  baseUrl: string,
  dir: string,
  threads: number,
  options: SampleOptions,
): Promise<SpreadMeasured<number>> {
  // The in-flight gauge is shared memory in one process; across machines each actor gets its
  // own copy (shared primitives cannot cross machines), so it only satisfies the constructor.
  const args = (): [string, string, Int32Array] => [baseUrl, dir, new Int32Array(2)];
  const plan = { label: `flags ${kind}`, nodes, calls: COUNTRIES.length };
  const country = (i: number) => COUNTRIES[i] as string;
  switch (kind) {
    case 'serial':
      return measureSpread(
        {
          ...plan,
          spawn: (node) => spawn(SyncFlagActor, { args: args(), placement: { node } }),
          call: (a, i) => a.download(country(i)),
        },
        options.progress,
      );
    case 'async':
      return measureSpread(
        {
          ...plan,
          spawn: (node) =>
            spawn(AsyncFlagActor, {
              args: args(),
              maxConcurrency: ASYNC_LIMIT,
              placement: { node },
            }),
          prepare: (a) => a.connect(),
          call: (a, i) => a.download(country(i)),
        },
        options.progress,
      );
    case 'threaded':
      return measureSpread(
        {
          ...plan,
          spawn: (node) =>
            spawn(ThreadedFlagActor, {
              args: args(),
              maxConcurrency: threads,
              placement: { node },
            }),
          call: (a, i) => a.download(country(i)),
        },
        options.progress,
      );
  }
}
