import { MessageChannel, type MessagePort, type ResourceLimits, Worker } from 'node:worker_threads';
import type { Call } from '../caller/call.js';
import { bundledApp, HOST_ARGUMENT } from '../wire/bundled.js';
import { type HostInit, Op, StatSlot, type Transferable } from '../wire/protocol.js';
import { PortTransport, type Transport } from '../wire/transport.js';
import type { SpawnPlan } from './plan.js';

// This module is bundled into a chunk in dist/, beside the worker entry's folder (build.mjs).
const HOST_ENTRY = new URL('./host/entry.js', import.meta.url);

/**
 * One running copy of an actor (its instance, or one replica of a threaded actor), as the
 * supervisor that owns it sees it: a link to it, its counters, and its end.
 */
export interface ActorHost {
  /** The owner's link to the host. */
  readonly transport: Transport;
  /** The host's counters (`StatSlot`), shared memory the host writes and the owner reads. */
  readonly stats: Int32Array;
  /** The last uncaught error of the host, to explain its exit. */
  readonly lastError: Error | undefined;
  /** Runs once when the host has ended, with its exit code. */
  onExit(listener: (code: number) => void): void;
  /** Ends the host at once, whatever it is doing. */
  terminate(): Promise<unknown>;
  /** From now on the host keeps the process alive until it ends (someone awaits its end). */
  keepAlive(): void;
}

/** What a host needs but its link: `HostInit` less the port the launcher makes. */
export type HostLaunch = Omit<HostInit, 'port'>;

/**
 * Starts hosts: in a worker thread of this process by default; another launcher may put them
 * elsewhere (`@troupe/runtime/transport`'s `useHostLauncher`).
 */
export interface HostLauncher {
  launch(init: HostLaunch, transfers: Transferable[], resourceLimits?: ResourceLimits): ActorHost;
}

/**
 * Starts a worker thread hosting one instance (or one replica) of an actor. The worker never holds
 * the process open by itself: the calling side holds its link while calls are pending.
 */
export const workerLauncher: HostLauncher = {
  launch(init, transfers, resourceLimits) {
    const { port1, port2 } = new MessageChannel();
    const bundle = bundledApp();
    const worker = new Worker(bundle ? new URL(bundle.entry) : HOST_ENTRY, {
      argv: bundle ? [HOST_ARGUMENT] : undefined,
      workerData: { ...init, port: port2 } satisfies HostInit,
      transferList: [port2, ...(transfers as never[])],
      name: init.name,
      resourceLimits,
    });
    worker.unref();
    // The worker holds the process open while calls are pending on it (the port alone cannot: it
    // closes before the worker's exit is reported, and a call would be left unsettled as the
    // process exits), or while someone awaits its end.
    let holding = false;
    let kept = false;
    const refresh = () => (holding || kept ? worker.ref() : worker.unref());
    let lastError: Error | undefined;
    worker.on('error', (error) => {
      lastError = error;
    });
    return {
      transport: new WorkerPortTransport(port1, (on) => {
        holding = on;
        refresh();
      }),
      stats: init.stats,
      get lastError() {
        return lastError;
      },
      onExit: (listener) => worker.once('exit', listener),
      terminate: () => worker.terminate(),
      keepAlive: () => {
        kept = true;
        refresh();
      },
    };
  },
};

/** The owner's link to a worker: holding it holds the worker, until the worker's exit is seen. */
class WorkerPortTransport extends PortTransport {
  constructor(
    port: MessagePort,
    private readonly holdWorker: (on: boolean) => void,
  ) {
    super(port);
  }

  override hold(on: boolean): void {
    this.holdWorker(on);
  }
}

let launcher: HostLauncher = workerLauncher;

/** Where this thread's new actors are hosted from now on; `undefined` restores worker threads. */
export function useHostLauncher(next: HostLauncher | undefined): void {
  launcher = next ?? workerLauncher;
}

export function currentLauncher(): HostLauncher {
  return launcher;
}

/**
 * Asks the host to end: queued calls are dropped, running calls finish, `onShutdown()` runs
 * (within `timeoutMs` where given), then it drains.
 */
export function requestShutdown(
  host: ActorHost,
  post: (message: readonly [Op.Shutdown] | readonly [Op.Shutdown, number]) => void,
  timeoutMs?: number,
): void {
  Atomics.store(host.stats, StatSlot.ShutdownRequested, 1);
  post(timeoutMs === undefined ? [Op.Shutdown] : [Op.Shutdown, timeoutMs]);
}

/** How long `shutdown()` lets running calls finish when it is given no `timeoutMs` (ms). */
export const DEFAULT_SHUTDOWN_GRACE_MS = 5000;
/** When an actor that is still ending says what it waits for (ms). */
const SLOW_END_NOTICE_MS = 1000;

/**
 * Waits for `exited`, or calls `onTimeout` after `timeoutMs` (undefined: no limit) and then waits
 * for it. After a second, `waitingFor()` is printed, so a slow end says what holds it.
 */
export async function endWithin(
  exited: Promise<void>,
  timeoutMs: number | undefined,
  onTimeout: () => void,
  waitingFor?: () => string,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const notice =
    waitingFor === undefined || (timeoutMs !== undefined && timeoutMs <= SLOW_END_NOTICE_MS)
      ? undefined
      : setTimeout(() => {
          const limit = timeoutMs === undefined ? 'no limit' : `ending it after ${timeoutMs} ms`;
          console.error(`shutdown(): still waiting for ${waitingFor()} (${limit}).`);
        }, SLOW_END_NOTICE_MS);
  notice?.unref();
  const late = new Promise<'late'>((resolve) => {
    if (timeoutMs !== undefined) timer = setTimeout(() => resolve('late'), timeoutMs);
  });
  if ((await Promise.race([exited, late])) === 'late') onTimeout();
  clearTimeout(timer);
  clearTimeout(notice);
  return exited;
}

/**
 * Whether a call the owner sent to `replica`'s host had started there (its group's
 * `StatSlot.Started` slot holds its id or a later one), read once the host has ended.
 */
export function hasStarted(
  plan: Pick<SpawnPlan, 'startedSlot'>,
  replica: { readonly host: ActorHost },
  call: Call,
): boolean {
  const slot = plan.startedSlot(call);
  return slot < 0 || (replica.host.stats[slot] as number) >= call.wireId;
}

export function exitReason(code: number, host: ActorHost): string {
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
