/**
 * The processes the cluster demo starts: a nats-server with JetStream and `troupe-node`s, on
 * free loopback ports. Each is ended by its PID, and the demo prints the PIDs it started.
 */
import { type ChildProcess, execFileSync, spawn as spawnProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian installs nats-server: outside a user's PATH. */
const DEBIAN_NATS_SERVER = '/usr/sbin/nats-server';

/** A program this demo started; `stop()` ends it by its PID and waits for its exit. */
export interface Started {
  readonly pid: number;
  readonly what: string;
  /** Everything it printed, for the message when it fails. */
  output(): string;
  stop(): Promise<void>;
}

/** Thrown when nats-server cannot be found: the message says which package to install. */
export class MissingNatsServer extends Error {
  constructor(tried: string) {
    super(
      `the cluster demo needs nats-server, and ${tried} is not there. Install Debian's ` +
        'nats-server package (sudo apt-get install nats-server), or pass --nats <url> of a ' +
        'running nats-server started with JetStream (nats-server -js).',
    );
    this.name = 'MissingNatsServer';
  }
}

/** The nats-server to run: `explicit`, else Debian's, else one on PATH. */
export function findNatsServer(explicit?: string): string {
  if (explicit !== undefined) {
    if (!existsSync(explicit)) throw new MissingNatsServer(explicit);
    return explicit;
  }
  if (existsSync(DEBIAN_NATS_SERVER)) return DEBIAN_NATS_SERVER;
  try {
    const found = execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
    if (found !== '') return found;
  } catch {
    // `command -v` exits non-zero when it finds nothing.
  }
  throw new MissingNatsServer(`${DEBIAN_NATS_SERVER} (or nats-server on PATH)`);
}

/** How long a program may take to say it is ready, or to exit once told to stop. */
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

/** Starts `command` and resolves once its output matches `ready`, with the match. */
function start(
  what: string,
  command: string,
  args: string[],
  ready: RegExp,
): Promise<{ started: Started; match: RegExpMatchArray }> {
  const child: ChildProcess = spawnProcess(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      // A program that ignores SIGTERM past the grace is killed: the demo leaves nothing behind.
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      settle(() => {
        void stop();
        reject(
          new Error(`${what} did not say it was ready within ${READY_TIMEOUT_MS} ms:\n${text}`),
        );
      });
    }, READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const match = text.match(ready);
      if (match) {
        settle(() =>
          resolve({
            started: { pid: child.pid as number, what, output: () => text, stop },
            match,
          }),
        );
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => settle(() => reject(new Error(`${what}: ${error.message}`))));
    child.once('exit', (code, signal) => {
      settle(() =>
        reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${text}`)),
      );
    });
  });
}

/** A nats-server with JetStream on a free loopback port, its store in a directory of its own. */
export async function startNatsServer(binary: string): Promise<Started & { url: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-cluster-demo-'));
  const config = join(dir, 'nats.conf');
  writeFileSync(config, `listen: "127.0.0.1:-1"\njetstream { store_dir: "${join(dir, 'js')}" }\n`);
  const { started, match } = await start(
    'nats-server',
    binary,
    ['-c', config],
    /Listening for client connections on [^:\s]+:(\d+)/,
  ).catch((error: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  return {
    ...started,
    url: `nats://127.0.0.1:${match[1]}`,
    stop: async () => {
      await started.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `troupe-node`'s script, from the installed `@troupe/cluster` (its `bin`). */
function troupeNodeScript(): string {
  const require = createRequire(import.meta.url);
  return join(require.resolve('@troupe/cluster'), '..', 'troupe-node.js');
}

export interface NodeOptions {
  url: string;
  id: string;
  cluster: string;
  manifest: string;
  threads: number;
}

/** A `troupe-node` hosting the classes `manifest` lists; resolves once it says it is ready. */
export async function startTroupeNode(options: NodeOptions): Promise<Started> {
  const { started } = await start(
    `troupe-node ${options.id}`,
    process.execPath,
    [
      troupeNodeScript(),
      '--nats',
      options.url,
      '--manifest',
      options.manifest,
      '--name',
      options.id,
      '--cluster',
      options.cluster,
      '--threads',
      String(options.threads),
      '--heartbeat-ms',
      '500',
    ],
    /troupe-node \S+ ready/,
  );
  return started;
}
