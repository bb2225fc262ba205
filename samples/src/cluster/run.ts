/**
 * `npm run cluster-demo`: the seed's flag and CPU experiments on three `troupe-node` processes.
 * Starts nats-server (unless `--nats <url>` names one) and three nodes hosting the samples'
 * build (dist/troupe-manifest.json), joins their cluster, runs each sample's kinds with one actor
 * on every node (`placement: { node }`), prints a table per node, writes out/cluster-report.json,
 * and ends every process it started, by PID. Flags: `CLUSTER_USAGE`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, disconnect, listNodes } from '@troupe/cluster';
import { isMain } from '../common/cli.js';
import { DEFAULT_OUT_DIR, type SampleOptions } from '../common/options.js';
import { progressFor, SilentProgress } from '../common/progress.js';
import { runCommand } from '../common/standalone.js';
import { parseClusterCli } from './cli.js';
import { computeThreadsPerNode, runClusterCompute } from './compute.js';
import { flagThreadsPerNode, runClusterFlags } from './flags.js';
import { findNatsServer, type Started, startNatsServer, startTroupeNode } from './processes.js';
import type { ClusterReport, ClusterRun, DemoNode } from './report.js';
import { renderClusterTables } from './table.js';

export const NODE_IDS = ['node-1', 'node-2', 'node-3'];

/** The samples' build manifest: the classes troupe-node may host, by module hash. */
const MANIFEST = fileURLToPath(new URL('../troupe-manifest.json', import.meta.url));

/** How long the nodes' first records may take to reach this process. */
const NODES_LISTED_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  const cli = parseClusterCli(process.argv.slice(2));
  const samples = cli.only.length > 0 ? cli.only : ['flags', 'compute'];
  const outDir = resolve(cli.outDir ?? DEFAULT_OUT_DIR);
  const options: SampleOptions = {
    quick: cli.quick,
    progress: cli.progress ? progressFor() : new SilentProgress(),
    outDir,
    ...(cli.latencyMs !== undefined ? { latencyMs: cli.latencyMs } : {}),
  };
  const [loadAverage = 0] = loadavg();
  const started: Started[] = [];
  let connected = false;
  let ending: Promise<void> | undefined;
  // Ends what this run started, once, whether it finished, failed or was interrupted.
  const end = () => {
    ending ??= (async () => {
      if (connected) await disconnect().catch(() => {});
      // The nodes first (their actors end with them), then the server they talk through.
      const order = [...started].reverse();
      for (const program of order) await program.stop();
      if (order.length > 0) {
        console.log(`ended: ${order.map((p) => `${p.what} (pid ${p.pid})`).join(', ')}`);
      }
    })();
    return ending;
  };
  const interrupted = () => void end().then(() => process.exit(130));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    let url = cli.nats;
    if (url === undefined) {
      const nats = await startNatsServer(findNatsServer(cli.natsServer));
      started.push(nats);
      url = nats.url;
      console.log(`nats-server: ${url} (pid ${nats.pid}, started for this run)`);
    } else {
      console.log(`nats-server: ${url} (given with --nats)`);
    }
    // Threads each node offers: the most one of its actors takes at a time.
    const threads = Math.max(
      flagThreadsPerNode(NODE_IDS.length),
      computeThreadsPerNode(NODE_IDS.length),
    );
    const nodeUrl = url;
    const starting = await Promise.allSettled(
      NODE_IDS.map((id) =>
        startTroupeNode({ url: nodeUrl, id, cluster: cli.cluster, manifest: MANIFEST, threads }),
      ),
    );
    for (const result of starting) if (result.status === 'fulfilled') started.push(result.value);
    const failed = starting.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    await connect({ servers: url, cluster: cli.cluster, name: 'troupe-cluster-demo' });
    connected = true;
    const nodes = await nodesListed(NODE_IDS);
    for (const node of nodes) {
      console.log(`troupe-node ${node.id}: pid ${node.pid}, ${node.threads} threads`);
    }
    const runs: ClusterRun[] = [];
    const notes: string[] = [];
    for (const sample of samples) {
      const run = sample === 'flags' ? runClusterFlags : runClusterCompute;
      const done = await run(NODE_IDS, options);
      runs.push(...done.runs);
      notes.push(...done.notes);
    }
    const report: ClusterReport = {
      generatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      nats: { url, startedHere: cli.nats === undefined },
      started: started.map(({ what, pid }) => ({ what, pid })),
      nodes,
      runs,
      notes,
    };
    console.log(`\n${renderClusterTables(report)}\n`);
    // As the showcase does: a quarter of the cores busy elsewhere bends the figures visibly.
    if (loadAverage > availableParallelism() / 4) {
      console.log(
        `note: load average ${loadAverage.toFixed(1)} on ${availableParallelism()} cores when the run started: other processes shared the CPUs the nodes run on, so the times are longer than a quiet machine's.`,
      );
    }
    mkdirSync(outDir, { recursive: true });
    const written = join(outDir, 'cluster-report.json');
    writeFileSync(written, `${JSON.stringify(report, null, 2)}\n`);
    const shown = relative(process.cwd(), written);
    console.log(`report: ${shown.startsWith('..') ? written : shown}`);
  } finally {
    await end();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

/** The nodes `ids`, once this process's mirror of the cluster lists them all. */
async function nodesListed(ids: string[]): Promise<DemoNode[]> {
  const deadline = performance.now() + NODES_LISTED_TIMEOUT_MS;
  for (;;) {
    const listed = listNodes().filter((node) => ids.includes(node.id));
    if (listed.length === ids.length) {
      return ids.flatMap((id) =>
        listed
          .filter((node) => node.id === id)
          .map(({ pid, host, threads }) => ({ id, pid, host, threads })),
      );
    }
    if (performance.now() > deadline) {
      const seen = listed.map((node) => node.id).join(', ') || 'none';
      throw new Error(
        `the nodes started but ${seen} of ${ids.join(', ')} reached this process's list within ${NODES_LISTED_TIMEOUT_MS} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

if (isMain(import.meta.url)) await runCommand(main);
