/**
 * Child processes of the cluster group (a TCP echo server, nats-server, troupe-node): started,
 * awaited until their output says they are ready, and ended by PID. Whatever is still running
 * when the bench exits, even by a crash or a signal, is killed by PID then, and its temporary
 * folder removed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface Child {
  readonly pid: number;
  /** What `ready` matched in its output. */
  readonly match: RegExpMatchArray;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM by PID, then SIGKILL if it has not exited within `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();
/** Temporary folders of the children, removed with them. */
const folders = new Set<string>();
let guarded = false;

/** Removes `dir` at exit if `forget` has not been called first (it was removed in order). */
export function removeAtExit(dir: string): () => void {
  guard();
  folders.add(dir);
  return () => folders.delete(dir);
}

/** On exit, whatever the reason, the children still running are killed by PID. */
function guard(): void {
  if (guarded) return;
  guarded = true;
  const killAll = () => {
    for (const child of running) {
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {}
      }
    }
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killAll);
  // Signalled by PID (not through the terminal, which signals the children too): the children
  // go first, then the signal does what it would have done.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

/**
 * Starts `command` and resolves once its output (stdout and stderr) matches `ready`; rejects if
 * it exits first or takes over `timeoutMs`, having ended it.
 */
export function startChild(
  command: string,
  args: string[],
  ready: RegExp,
  what: string,
  timeoutMs = 20_000,
): Promise<Child> {
  guard();
  // stdin stays a pipe: a child that watches it ends when this process does.
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });
  let text = '';
  const stop = async (graceMs = 5_000): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {}
      const timer = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch {}
        }
      }, graceMs);
      await exited;
      clearTimeout(timer);
    } else {
      await exited;
    }
    child.stdin?.destroy();
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop(0).then(() => reject(new Error(`${what} ${why}:\n${text.slice(-2000)}`)));
    };
    const timer = setTimeout(() => fail(`was not ready within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const match = text.match(ready);
      if (match && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ pid: child.pid as number, match, output: () => text, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => fail(`could not start (${error.message})`));
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before it was ready`));
  });
}
