import { availableParallelism, hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { shutdown } from '@troupe/runtime';
import { Cluster } from './cluster.js';
import { Manifest } from './manifest.js';
import { NodeHost } from './node.js';

const USAGE =
  'usage: troupe-node --nats <url>[,<url>…] --manifest <troupe-manifest.json> [--threads N] ' +
  '[--labels k=v,k=v] [--creds <file>] [--name <id>] [--cluster <name>] [--inbox-prefix <token>] ' +
  '[--tls-ca <file>] [--tls-cert <file>] [--tls-key <file>] [--heartbeat-ms N] [--lease-ms N] [--suspect-ms N] [--replicas 1|3|5]';

function labelsFrom(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (text ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TypeError(`--labels: '${pair}' is not key=value`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

function positive(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`${flag} must be a whole number >= 1`);
  return n;
}

/** `troupe-node`: hosts actors of one build for a cluster until SIGTERM or SIGINT. */
export async function main(argv: string[]): Promise<void> {
  let node: NodeHost | undefined;
  let cluster: Cluster | undefined;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        nats: { type: 'string' },
        manifest: { type: 'string' },
        threads: { type: 'string' },
        labels: { type: 'string' },
        creds: { type: 'string' },
        name: { type: 'string' },
        'inbox-prefix': { type: 'string' },
        cluster: { type: 'string' },
        'tls-ca': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'heartbeat-ms': { type: 'string' },
        'suspect-ms': { type: 'string' },
        'lease-ms': { type: 'string' },
        replicas: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
    if (values.help) {
      console.log(USAGE);
      return;
    }
    if (!values.nats || !values.manifest)
      throw new TypeError(`--nats and --manifest are required\n${USAGE}`);
    const manifest = new Manifest(values.manifest);
    const id = values.name ?? `${hostname()}-${process.pid}`;
    const tls =
      values['tls-ca'] || values['tls-cert'] || values['tls-key']
        ? {
            ...(values['tls-ca'] ? { caFile: values['tls-ca'] } : {}),
            ...(values['tls-cert'] ? { certFile: values['tls-cert'] } : {}),
            ...(values['tls-key'] ? { keyFile: values['tls-key'] } : {}),
          }
        : undefined;
    cluster = await Cluster.open({
      servers: values.nats.split(','),
      name: id,
      ...(values.cluster ? { cluster: values.cluster } : {}),
      ...(values.creds ? { creds: values.creds } : {}),
      ...(values['inbox-prefix'] ? { inboxPrefix: values['inbox-prefix'] } : {}),
      ...(tls ? { tls } : {}),
      heartbeatMs: positive(values['heartbeat-ms'], '--heartbeat-ms', 2000),
      suspectMs: positive(values['suspect-ms'], '--suspect-ms', 15000),
      ...(values['lease-ms'] ? { leaseMs: positive(values['lease-ms'], '--lease-ms', 10000) } : {}),
      replicas: positive(values.replicas, '--replicas', 1),
    });
    cluster.installNames();
    node = new NodeHost(cluster, manifest, {
      id,
      threads: positive(values.threads, '--threads', availableParallelism()),
      labels: labelsFrom(values.labels),
    });
    await node.start();
    console.log(
      `troupe-node ${id} ready: ${manifest.keys().length} classes, ${node.options.threads} threads`,
    );
  } catch (error) {
    console.error(`troupe-node: ${error instanceof Error ? error.message : error}`);
    await cluster?.close();
    process.exitCode = 1;
    return;
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await node?.stop();
    await shutdown({ timeoutMs: 5000 }).catch(() => {});
    await cluster?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}
