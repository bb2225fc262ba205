/**
 * The cluster group's own NATS server (JetStream, its store in a temporary folder, a free
 * loopback port) and `troupe-node`, each a child process ended by PID.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterAppFile, clusterFile } from '../paths.js';
import { type Child, removeAtExit, startChild } from './process.js';

/** Why the group cannot measure Troupe on NATS here, and what to install. */
export function noNatsServer(): string {
  const where = process.env.TROUPE_NATS_SERVER
    ? `TROUPE_NATS_SERVER=${process.env.TROUPE_NATS_SERVER} does not exist`
    : 'neither /usr/sbin/nats-server nor one on PATH';
  return (
    `nats-server was not found (${where}): install Debian's nats-server package ` +
    '(apt-get install nats-server), or set TROUPE_NATS_SERVER to its path'
  );
}

/**
 * The nats-server to start: TROUPE_NATS_SERVER when set, else Debian's (in /usr/sbin, which a
 * user's PATH may lack), else the one on PATH.
 */
export function natsServerBinary(): string | undefined {
  const chosen = process.env.TROUPE_NATS_SERVER;
  if (chosen) return existsSync(chosen) ? chosen : undefined;
  for (const candidate of ['/usr/sbin/nats-server', '/usr/bin/nats-server']) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return (
      execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

export interface NatsServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** A nats-server with JetStream on a free 127.0.0.1 port, its store in a temporary folder. */
export async function startNats(binary: string): Promise<NatsServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-bench-nats-'));
  const forget = removeAtExit(dir);
  const config = path.join(dir, 'nats.conf');
  writeFileSync(config, `listen: "127.0.0.1:-1"\njetstream { store_dir: "${dir}/js" }\n`);
  let server: Child;
  try {
    server = await startChild(
      binary,
      ['-c', config],
      /Listening for client connections on [^:\s]+:(\d+)/,
      'nats-server',
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    forget();
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${server.match[1]}`,
    pid: server.pid,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
      forget();
    },
  };
}

/** The manifest of bench/cluster-app, which the node hosts. */
export const BENCH_MANIFEST = fileURLToPath(clusterAppFile('troupe-manifest.json'));

/**
 * A `troupe-node` hosting bench/cluster-app's classes; resolves once it says it is ready.
 * `nodeArgs` go to node itself (e.g. `--cpu-prof`).
 */
export async function startNode(
  url: string,
  name: string,
  threads: number,
  nodeArgs: string[] = [],
  flags: string[] = [],
): Promise<Child> {
  const bin = fileURLToPath(clusterFile('troupe-node.js'));
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build`);
  if (!existsSync(BENCH_MANIFEST))
    throw new Error(`${BENCH_MANIFEST} is missing: run npm run build`);
  return startChild(
    process.execPath,
    [
      ...nodeArgs,
      bin,
      '--nats',
      url,
      '--manifest',
      BENCH_MANIFEST,
      '--name',
      name,
      '--threads',
      String(threads),
      ...flags,
    ],
    /troupe-node \S+ ready/,
    `troupe-node ${name}`,
  );
}
