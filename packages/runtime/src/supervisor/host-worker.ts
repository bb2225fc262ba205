import { MessageChannel, type MessagePort, type ResourceLimits, Worker } from 'node:worker_threads';
import type { Transferable } from '../wire/protocol.js';
import { type HostInit, Op, STAT_SLOTS, StatSlot } from '../wire/protocol.js';

// This module is bundled into a chunk in dist/, beside the worker entry's folder (build.mjs).
const HOST_ENTRY = new URL('./host/entry.js', import.meta.url);

export interface HostWorker {
  worker: Worker;
  /** This thread's end of the actor's dedicated port. */
  port: MessagePort;
  stats: Int32Array;
  /** The last uncaught error of the worker, to explain its exit. */
  lastError: Error | undefined;
}

/**
 * Starts a worker thread hosting one instance (or one replica) of an actor. The worker never holds
 * the process open by itself: the calling side refs its port while calls are pending.
 */
export function startHostWorker(
  init: Omit<HostInit, 'port' | 'stats'>,
  transfers: Transferable[],
  resourceLimits?: ResourceLimits,
): HostWorker {
  const { port1, port2 } = new MessageChannel();
  const stats = new Int32Array(new SharedArrayBuffer(STAT_SLOTS * 4));
  const worker = new Worker(HOST_ENTRY, {
    workerData: { ...init, port: port2, stats } satisfies HostInit,
    transferList: [port2, ...(transfers as never[])],
    name: init.name,
    resourceLimits,
  });
  worker.unref();
  const host: HostWorker = { worker, port: port1, stats, lastError: undefined };
  worker.on('error', (error) => {
    host.lastError = error;
  });
  return host;
}

/**
 * Asks the host to end: queued calls are dropped, running calls finish, `onShutdown()` runs
 * (within `timeoutMs` where given), then it drains.
 */
export function requestShutdown(
  host: HostWorker,
  post: (message: unknown[]) => void,
  timeoutMs?: number,
): void {
  Atomics.store(host.stats, StatSlot.ShutdownRequested, 1);
  post(timeoutMs === undefined ? [Op.Shutdown] : [Op.Shutdown, timeoutMs]);
}

/** Waits for `exited`, or calls `onTimeout` after `timeoutMs` and then waits for it. */
export async function endWithin(
  exited: Promise<void>,
  timeoutMs: number | undefined,
  onTimeout: () => void,
): Promise<void> {
  if (timeoutMs === undefined) return exited;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs);
  });
  if ((await Promise.race([exited, late])) === 'late') onTimeout();
  clearTimeout(timer);
  return exited;
}

export function exitReason(code: number, host: HostWorker, killed: boolean): string {
  if (killed) return 'it was killed';
  const error = host.lastError as (Error & { code?: string }) | undefined;
  if (error?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return (
      `it ran out of memory (${error.message}); raise resourceLimits.maxOldGenerationSizeMb ` +
      'if it needs more (ArrayBuffer memory is outside what V8 limits)'
    );
  }
  if (error) return `its worker crashed: ${error.name}: ${error.message}`;
  return `its worker exited with code ${code}`;
}
