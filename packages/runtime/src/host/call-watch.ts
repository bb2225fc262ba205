/**
 * What an executor tells of the calls it runs, where this process observes them (metrics, the
 * timeline, tracing): `host/entry.ts` hands one to the executor from observe/. Without one the
 * executor pays a single null check at each call's start and end.
 */
import type { CallMeta } from '../wire/protocol.js';

/** How a call left the executor. */
export enum CallOutcome {
  Ok = 0,
  /** The method threw (or its promise rejected). */
  Threw = 1,
  /** Cancelled while it waited in the queue: it never ran. */
  Cancelled = 2,
  /** Dropped from the queue because the actor was ending: it never ran. */
  Dropped = 3,
}

export interface CallWatch {
  /**
   * A call starts now. `queuedAt` is when it joined its group's queue (`performance.now()`), 0 if
   * it started on arrival. Returns a stamp the executor hands back to `ended`.
   */
  started(methodId: number, callId: number, queuedAt: number, meta: CallMeta | undefined): number;
  /** Runs the method (the watch may run it inside a trace context). */
  invoke(fn: (...args: unknown[]) => unknown, self: object, args: unknown[]): unknown;
  /** A call ended; `stamp` is what `started` returned, 0 for a call that never started. */
  ended(methodId: number, callId: number, stamp: number, outcome: CallOutcome): void;
}
