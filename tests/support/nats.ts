/**
 * A NATS server and `troupe-node` processes for the cluster suites, on free loopback ports, each
 * ended by its PID. Without Debian's nats-server the suites skip loudly (fail under CI).
 */
import { type ChildProcess, spawn as spawnProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect as natsConnect, RequestError } from '@nats-io/transport-node';
import { systemBinary } from './system-binary.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TROUPE_NODE = path.join(root, 'packages/cluster/dist/troupe-node.js');
export const CLUSTER_MANIFEST = path.join(root, 'tests/cluster/app/dist/troupe-manifest.json');

export function natsServerBinary(suite: string): string | undefined {
  // Debian installs it in /usr/sbin, which a user's PATH may lack.
  if (fs.existsSync('/usr/sbin/nats-server')) return '/usr/sbin/nats-server';
  return systemBinary('nats-server', 'nats-server', suite);
}

export interface Running {
  readonly pid: number;
  readonly process: ChildProcess;
  /** Everything it printed. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Every server and node a suite started and that has not exited. A suite ends what it started in
 * its afterAll; one whose setup failed half way may not know of all of them: these never keep
 * the test process alive, and whatever is left is killed when it exits.
 */
const children = new Set<ChildProcess>();
let reaping = false;

function track(child: ChildProcess): void {
  if (!reaping) {
    reaping = true;
    process.once('exit', () => {
      for (const left of children) left.kill('SIGKILL');
    });
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.unref();
  for (const stream of [child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
}

/** Starts `command` and resolves once its output matches `ready` (its match is returned). */
function start(
  command: string,
  args: string[],
  ready: RegExp,
  what: string,
  env: Record<string, string> = {},
): Promise<Running & { match: RegExpMatchArray }> {
  const child = spawnProcess(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  track(child);
  let text = '';
  return new Promise((resolve, reject) => {
    let settled = false;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const running: Running = {
      pid: child.pid as number,
      process: child,
      output: () => text,
      stop: async (signal = 'SIGTERM') => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        await exited;
      },
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const match = text.match(ready);
      if (match && !settled) {
        settled = true;
        resolve({ ...running, match });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`${what} exited (${code}) before it was ready:\n${text}`));
      }
    });
  });
}

export interface NatsServer extends Running {
  readonly url: string;
  readonly port: number;
  /** Kills the server (SIGKILL) and starts it again on the same port and store. */
  restart(): Promise<void>;
}

/**
 * A nats-server with JetStream on a free port; `config` is the text of a configuration file
 * (its `$VARIABLES` read from `env`).
 */
export async function startNats(
  binary: string,
  config = '',
  env: Record<string, string> = {},
): Promise<NatsServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-nats-'));
  const file = path.join(dir, 'nats.conf');
  const launch = async (listen: string) => {
    fs.writeFileSync(
      file,
      `listen: "${listen}"\njetstream { store_dir: "${dir}/js" }\n${config}\n`,
    );
    return start(
      binary,
      ['-c', file],
      /Listening for client connections on [^:\s]+:(\d+)/,
      'nats-server',
      env,
    );
  };
  let server = await launch('127.0.0.1:-1');
  const port = Number(server.match[1]);
  const running: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return server.pid;
    },
    get process() {
      return server.process;
    },
    output: () => server.output(),
    restart: async () => {
      await server.stop('SIGKILL');
      server = await launch(`127.0.0.1:${port}`);
    },
    stop: async (signal) => {
      await server.stop(signal);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return running;
}

/** Starts a `troupe-node` for the cluster suites' build; resolves once it is ready. */
export async function startNode(url: string, name: string, extra: string[] = []): Promise<Running> {
  return start(
    process.execPath,
    [
      TROUPE_NODE,
      '--nats',
      url,
      '--manifest',
      CLUSTER_MANIFEST,
      '--name',
      name,
      '--threads',
      '8',
      '--heartbeat-ms',
      '200',
      ...extra,
    ],
    /troupe-node \S+ ready/,
    `troupe-node ${name}`,
  );
}

/** A free TCP port on loopback (asked of the kernel, then released for the server to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** One server of a NATS cluster: it can be killed and started again (same ports and store). */
export interface ClusterServer {
  readonly name: string;
  readonly url: string;
  /** Its monitoring endpoint (`http://127.0.0.1:port`). */
  readonly monitor: string;
  /** Whether it runs now. */
  readonly up: boolean;
  /** Kills it (SIGKILL), by its PID. */
  kill(): Promise<void>;
  /** Starts it again after `kill()`, on the same ports and JetStream store. */
  start(): Promise<void>;
  /**
   * Its JetStream is current: it knows the meta leader and its streams have caught up (its
   * consumers need not: see the implementation).
   */
  healthy(): Promise<boolean>;
}

export interface NatsCluster {
  readonly servers: ClusterServer[];
  /** Every server's client URL (what `connect({ servers })` and `--nats a,b,c` take). */
  readonly urls: string[];
  /**
   * Resolves once every running server reports JetStream current and every bucket takes a write
   * through every running server (checked at each `pollMs`): what the cluster's processes need.
   * Rejects after `withinMs`, naming what was still missing.
   */
  healthy(pollMs?: number, withinMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A cluster of `size` nats-servers with JetStream on free loopback ports: each has its
 * `server_name`, its route to the others, its own store and a monitoring port (for `/healthz`).
 * A port found free can be taken by another suite's process before the server binds it (its
 * routes name every port up front, so the OS cannot pick them): the cluster is then started
 * again on other ports.
 */
export async function startNatsCluster(binary: string, size = 3): Promise<NatsCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNatsClusterOnce(binary, size);
    } catch (error) {
      if (attempt >= 3 || !/address already in use/.test(String(error))) throw error;
    }
  }
}

async function startNatsClusterOnce(binary: string, size: number): Promise<NatsCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-nats-cluster-'));
  const ports: { client: number; route: number; http: number }[] = [];
  for (let i = 0; i < size; i++) {
    ports.push({ client: await freePort(), route: await freePort(), http: await freePort() });
  }
  const routes = ports.map((p) => `"nats-route://127.0.0.1:${p.route}"`).join(', ');
  const servers = ports.map((p, i): ClusterServer => {
    const name = `n${i + 1}`;
    const file = path.join(dir, `${name}.conf`);
    fs.writeFileSync(
      file,
      [
        `server_name: ${name}`,
        `listen: "127.0.0.1:${p.client}"`,
        `http: "127.0.0.1:${p.http}"`,
        `jetstream { store_dir: "${dir}/${name}" }`,
        `cluster { name: troupe, listen: "127.0.0.1:${p.route}", routes: [${routes}] }`,
        '',
      ].join('\n'),
    );
    let running: Running | undefined;
    const server: ClusterServer = {
      name,
      url: `nats://127.0.0.1:${p.client}`,
      monitor: `http://127.0.0.1:${p.http}`,
      get up() {
        return running !== undefined;
      },
      kill: async () => {
        const was = running;
        running = undefined;
        await was?.stop('SIGKILL');
      },
      start: async () => {
        if (running !== undefined) return;
        running = await start(binary, ['-c', file], /Server is ready/, `nats-server ${name}`);
      },
      healthy: async () => {
        if (running === undefined) return false;
        try {
          // A meta leader (JetStream's API answers), and every stream it holds current.
          const jsz = await fetch(`http://127.0.0.1:${p.http}/jsz`);
          const meta = ((await jsz.json()) as { meta_cluster?: { leader?: string } }).meta_cluster;
          if (!meta?.leader) return false;
          const answer = await fetch(`http://127.0.0.1:${p.http}/healthz`);
          const body = (await answer.json()) as { status?: string; error?: string };
          // Not a consumer: nats-server 2.9.10 reports a healed server unavailable for as long as
          // an ordered consumer of a watch made during the outage is not current, and such a
          // watch may be abandoned for good (a mirror watches anew). Streams must be current;
          // answersJetStream then checks what the cluster needs through every server.
          return body.status === 'ok' || /JetStream consumer /.test(body.error ?? '');
        } catch {
          return false;
        }
      },
    };
    return server;
  });
  const cluster: NatsCluster = {
    servers,
    urls: servers.map((s) => s.url),
    healthy: async (pollMs = 100, withinMs = 90_000) => {
      const deadline = performance.now() + withinMs;
      for (;;) {
        const running = servers.filter((s) => s.up);
        const answers = await Promise.all(running.map((s) => s.healthy()));
        const missing = running.filter((_, i) => !answers[i]).map((s) => `${s.name} not current`);
        if (missing.length === 0 && !(await leadersElected(running))) {
          missing.push('a stream without a leader');
        }
        if (missing.length === 0) {
          const answering = await Promise.all(running.map(answersJetStream));
          missing.push(
            ...running
              .filter((_, i) => !answering[i])
              .map((s) => `${s.name}'s buckets not writable`),
          );
        }
        if (missing.length === 0) return;
        if (performance.now() > deadline) {
          throw new Error(`NATS cluster not healthy after ${withinMs} ms: ${missing.join(', ')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
    stop: async () => {
      await Promise.all(servers.map((s) => s.kill()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(servers.map((s) => s.start()));
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** Every stream a running server holds has a leader (its raft group elected one). */
async function leadersElected(running: ClusterServer[]): Promise<boolean> {
  try {
    for (const server of running) {
      const answer = await fetch(`${server.monitor}/jsz?accounts=true&streams=true`);
      const body = (await answer.json()) as {
        account_details?: { stream_detail?: { cluster?: { leader?: string } }[] }[];
      };
      for (const account of body.account_details ?? []) {
        for (const stream of account.stream_detail ?? []) {
          if (!stream.cluster?.leader) return false;
        }
      }
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * The handshake a client of `server` needs: its JetStream API answers (an account INFO request),
 * and every key-value bucket takes a put and answers a get of it through this server. /healthz
 * says ok before that: a stream's new leader's interest in its subjects may not have crossed the
 * routes yet, and a put is answered "no responders" ("jetstream is not enabled" in nats.js). The
 * key starts `sync.`, which the cluster's mirrors skip.
 */
async function answersJetStream(server: ClusterServer): Promise<boolean> {
  let nc: Awaited<ReturnType<typeof natsConnect>> | undefined;
  try {
    nc = await natsConnect({ servers: server.url, reconnect: false, timeout: 2000 });
    const jsm = await jetstreamManager(nc, { timeout: 2000 });
    await jsm.getAccountInfo();
    const kvm = new Kvm(nc);
    for await (const status of kvm.list()) {
      const kv = await kvm.open(status.bucket, { timeout: 2000 });
      const key = `sync.probe-${server.name}`;
      const revision = await kv.put(key, '1', { timeout: 2000 });
      if ((await kv.get(key))?.revision !== revision) return false;
      await kv.delete(key);
    }
    return true;
  } catch {
    return false;
  } finally {
    await nc?.close().catch(() => {});
  }
}

/** The server (its `server_name`) each named client of `cluster` is connected to now. */
export async function whereConnected(cluster: NatsCluster): Promise<Map<string, string>> {
  const where = new Map<string, string>();
  for (const server of cluster.servers) {
    if (!server.up) continue;
    const http = server.monitor;
    try {
      const answer = await fetch(`${http}/connz?limit=1024`);
      const body = (await answer.json()) as { connections?: { name?: string }[] };
      for (const conn of body.connections ?? []) {
        if (conn.name) where.set(conn.name, server.name);
      }
    } catch {
      // Going down: its clients are on their way elsewhere.
    }
  }
  return where;
}

/** A fault suite's liveness settings (ms): short, so that failures are found in seconds. */
export interface Timings {
  heartbeatMs: number;
  leaseMs: number;
  suspectMs: number;
}

/** `troupe-node`'s flags for `timings`. */
export function timingFlags(timings: Timings): string[] {
  return [
    '--heartbeat-ms',
    String(timings.heartbeatMs),
    '--lease-ms',
    String(timings.leaseMs),
    '--suspect-ms',
    String(timings.suspectMs),
  ];
}

/**
 * Waits for `done()`, checking every `everyMs` (what a fault suite waits for is a node's next
 * record, written each heartbeat); rejects after `withinMs`, naming `what` it waited for, so that
 * a suite that hangs says where.
 */
export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  everyMs: number,
  what = 'a condition',
  withinMs = 90_000,
): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!(await done())) {
    if (performance.now() > deadline) {
      throw new Error(`waited ${withinMs} ms for ${what}, in vain`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Resolves once the NATS server at `url` has dropped node `node` (its control subject has no
 * responders): from then on, a frame sent to its actors reaches no one.
 */
export async function dropped(url: string, node: string, cluster = 'default'): Promise<void> {
  const nc = await natsConnect({ servers: url });
  try {
    for (;;) {
      const answer = await nc
        .request(`troupe.${cluster}.n.${node}.ctl`, undefined, { timeout: 1000 })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      if (answer instanceof RequestError && answer.isNoResponders()) return;
    }
  } finally {
    await nc.close();
  }
}

/**
 * The entry of `key` in bucket `bucket`, read from the NATS server at `url`: its revision,
 * operation and value (a delete shows as such), or "none".
 */
export async function bucketEntry(url: string, bucket: string, key: string): Promise<string> {
  const nc = await natsConnect({ servers: url, timeout: 2000 });
  try {
    const kv = await new Kvm(nc).open(bucket);
    const entry = await kv.get(key);
    if (entry === null) return 'none';
    return `${key}@${entry.revision} ${entry.operation} ${entry.string().slice(0, 60)}`;
  } finally {
    await nc.close();
  }
}
