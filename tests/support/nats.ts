/**
 * A NATS server and `troupe-node` processes for the cluster suites, on free loopback ports, each
 * ended by its PID. Without Debian's nats-server the suites skip loudly (fail under CI).
 */
import { type ChildProcess, spawn as spawnProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
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
