import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { Transferable } from '../wire/messages.js';
import { type HostInit, Op, STAT_SLOTS, StatSlot } from '../wire/messages.js';

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
): HostWorker {
  const { port1, port2 } = new MessageChannel();
  const stats = new Int32Array(new SharedArrayBuffer(STAT_SLOTS * 4));
  const worker = new Worker(HOST_ENTRY, {
    workerData: { ...init, port: port2, stats } satisfies HostInit,
    transferList: [port2, ...(transfers as never[])],
    name: init.name,
  });
  worker.unref();
  const host: HostWorker = { worker, port: port1, stats, lastError: undefined };
  worker.on('error', (error) => {
    host.lastError = error;
  });
  return host;
}

/** Asks the host to end: queued calls are dropped, running calls finish, then it drains. */
export function requestShutdown(host: HostWorker, post: (message: unknown[]) => void): void {
  Atomics.store(host.stats, StatSlot.ShutdownRequested, 1);
  post([Op.Shutdown]);
}

export function exitReason(code: number, host: HostWorker, killed: boolean): string {
  if (killed) return 'it was killed';
  if (host.lastError) {
    return `its worker crashed: ${host.lastError.name}: ${host.lastError.message}`;
  }
  return `its worker exited with code ${code}`;
}
