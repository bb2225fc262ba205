import { parseArgs } from 'node:util';
import { HelpRequested } from '../common/cli.js';

export const CLUSTER_SAMPLES = ['flags', 'compute'] as const;
export type ClusterSample = (typeof CLUSTER_SAMPLES)[number];

export interface ClusterCliOptions {
  /** Samples to run; both when empty. */
  only: ClusterSample[];
  quick: boolean;
  latencyMs?: number;
  progress: boolean;
  /** A running nats-server (with JetStream) to use instead of starting one. */
  nats?: string;
  /** The nats-server program to start; Debian's /usr/sbin/nats-server or PATH's by default. */
  natsServer?: string;
  /** The cluster name the nodes and this process join (clusters sharing a server are apart). */
  cluster: string;
  /** Where downloads and cluster-report.json go; `out/` at the repository root by default. */
  outDir?: string;
}

export const CLUSTER_USAGE = `usage: npm run cluster-demo -- [options]
  Starts nats-server and three troupe-node processes on this machine, runs the flags and
  compute samples with an actor of each kind on every node, prints a table per node, and ends
  every process it started.
options:
  --only <sample>        flags or compute (repeat or comma-separate)
  --latency <ms>         flag server delay per response (default 250)
  --quick                small sizes: the whole demo in about fifteen seconds
  --no-progress          print no progress, only the tables
  --nats <url>           use this nats-server (started with -js) instead of starting one
  --nats-server <path>   the nats-server program to start (default /usr/sbin/nats-server, or PATH)
  --cluster <name>       the cluster name to join (default troupe-samples)
  --out <dir>            where downloads and cluster-report.json go (default out/)`;

export class ClusterHelpRequested extends HelpRequested {
  constructor() {
    super();
    this.message = CLUSTER_USAGE;
  }
}

export function parseClusterCli(argv: string[]): ClusterCliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      latency: { type: 'string' },
      'no-progress': { type: 'boolean', default: false },
      nats: { type: 'string' },
      'nats-server': { type: 'string' },
      cluster: { type: 'string', default: 'troupe-samples' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) throw new ClusterHelpRequested();
  const only = (values.only ?? []).flatMap((o) => o.split(',')).filter((o) => o !== '');
  const unknown = only.filter((o) => !(CLUSTER_SAMPLES as readonly string[]).includes(o));
  if (unknown.length > 0) {
    throw new Error(
      `unknown sample ${unknown.join(', ')}: the cluster demo runs ${CLUSTER_SAMPLES.join(', ')}`,
    );
  }
  const latencyMs = values.latency === undefined ? undefined : Number(values.latency);
  if (latencyMs !== undefined && !(Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw new Error(`--latency takes a number of milliseconds, got '${values.latency}'`);
  }
  return {
    only: only as ClusterSample[],
    quick: values.quick,
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    progress: !values['no-progress'],
    ...(values.nats !== undefined ? { nats: values.nats } : {}),
    ...(values['nats-server'] !== undefined ? { natsServer: values['nats-server'] } : {}),
    cluster: values.cluster,
    ...(values.out !== undefined ? { outDir: values.out } : {}),
  };
}
