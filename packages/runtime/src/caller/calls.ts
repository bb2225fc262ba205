import {
  ActorDefinitionError,
  CancelledError,
  PendingCallsLimitError,
  TimeoutError,
} from '../errors.js';
import type { CallOptions, RetryPolicy } from '../options.js';
import type { ActorRef } from './ref.js';

/**
 * The caller's side of a call beyond sending it: per-call options, timeouts, cancellation,
 * `maxPendingCalls`, and arguments that are promises of other calls' results. A handle takes
 * this path only for calls that need it; a plain call goes straight to `ref.call`.
 */

/** Refs with calls that `cancel(promise)` may have to find. */
const liveRefs = new Set<ActorRef>();
/** Calls pending per actor from this thread, where the actor has a `maxPendingCalls`. */
const pendingByActor = new Map<string, number>();
type MakeError = (methodId: number) => Error;

/** Calls that took the held path, by the caller's promise: how to cancel each, sent or not. */
const held = new Map<
  Promise<unknown>,
  { ref: ActorRef; methodId: number; cancel(makeError: MakeError, force: boolean): boolean }
>();
/** A serial actor's calls held behind an earlier call's arguments, in submission order. */
const serialTails = new WeakMap<ActorRef, Promise<unknown>>();

export function trackRef(ref: ActorRef): void {
  liveRefs.add(ref);
}

export function untrackRef(ref: ActorRef): void {
  liveRefs.delete(ref);
}

/** True when a call of this method must take `invoke` even without options. */
export function needsInvoke(ref: ActorRef, methodId: number): boolean {
  return ref.methodTimeouts[methodId] !== undefined || ref.maxPendingCalls !== undefined;
}

/**
 * True when a plain call cannot go straight out: an argument is a promise, or (on a serial
 * actor) an earlier call from this thread is still held for its arguments.
 */
export function mustHold(ref: ActorRef, args: unknown[]): boolean {
  return hasPromiseArgument(args) || (ref.kind === 'serial' && serialTails.has(ref));
}

function hasPromiseArgument(args: unknown[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (
      typeof a === 'object' &&
      a !== null &&
      typeof (a as PromiseLike<unknown>).then === 'function'
    ) {
      return true;
    }
  }
  return false;
}

function describeCall(ref: ActorRef, methodId: number): string {
  return `call '${ref.methods[methodId]}' on actor ${ref.name}`;
}

/** A call with everything a handle offers beyond the plain path. */
export function invoke(
  ref: ActorRef,
  methodId: number,
  args: unknown[],
  options: CallOptions = {},
): Promise<unknown> {
  const method = ref.methods[methodId];
  let group: number | undefined;
  if (options.concurrencyGroup !== undefined) {
    group = ref.groups.indexOf(options.concurrencyGroup);
    if (group < 0) {
      return Promise.reject(
        new ActorDefinitionError(
          `Actor ${ref.name}, method '${method}': concurrency group '${options.concurrencyGroup}' ` +
            `is not declared; the actor's groups are: ${ref.groups.join(', ')}.`,
        ),
      );
    }
  }
  const { signal } = options;
  if (signal?.aborted) {
    return Promise.reject(
      new CancelledError(
        `${describeCall(ref, methodId)} was cancelled before it was sent; it never ran.`,
        ref.name,
        method,
      ),
    );
  }
  const limit = ref.maxPendingCalls;
  if (limit !== undefined) {
    const pending = pendingByActor.get(ref.actorId) ?? 0;
    if (pending >= limit) {
      return Promise.reject(
        new PendingCallsLimitError(
          `Actor ${ref.name} already has ${pending} calls pending from this thread ` +
            `(maxPendingCalls ${limit}), so call '${method}' was refused and not sent. Wait for ` +
            'earlier calls to settle, or raise maxPendingCalls.',
          ref.name,
          limit,
        ),
      );
    }
    pendingByActor.set(ref.actorId, pending + 1);
  }
  const policy =
    options.maxTaskRetries !== undefined || options.retryExceptions !== undefined
      ? {
          maxTaskRetries: options.maxTaskRetries ?? ref.retries[methodId]?.maxTaskRetries ?? 0,
          retryExceptions:
            options.retryExceptions ?? ref.retries[methodId]?.retryExceptions ?? false,
        }
      : undefined;
  const promise = send(ref, methodId, args, group, policy);
  const timeoutMs = options.timeoutMs ?? ref.methodTimeouts[methodId];
  let timer: NodeJS.Timeout | undefined;
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      const error = new TimeoutError(
        `${describeCall(ref, methodId)} timed out after ${timeoutMs} ms: if it had not started it ` +
          'never will; a running async call was aborted (callSignal()); a running sync call runs ' +
          'on to its end and its result is discarded.',
        ref.name,
        method,
        timeoutMs,
      );
      cancelWith(ref, promise, () => error, false);
    }, timeoutMs);
  }
  const onAbort = () =>
    cancelWith(ref, promise, (id) => cancelledError(ref, id, signal?.reason), false);
  signal?.addEventListener('abort', onAbort, { once: true });
  const settled = () => {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (limit !== undefined) {
      const left = (pendingByActor.get(ref.actorId) ?? 1) - 1;
      if (left === 0) pendingByActor.delete(ref.actorId);
      else pendingByActor.set(ref.actorId, left);
    }
  };
  promise.then(settled, settled);
  return promise;
}

/**
 * Sends a call, first resolving arguments that are promises (results of other calls). Such a
 * call is held alone: later calls go on, except on a serial actor, whose calls keep their order.
 */
function send(
  ref: ActorRef,
  methodId: number,
  args: unknown[],
  group?: number,
  policy?: RetryPolicy,
) {
  const tail = ref.kind === 'serial' ? serialTails.get(ref) : undefined;
  if (tail === undefined && !hasPromiseArgument(args)) {
    return ref.call(methodId, args, group, policy);
  }
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  let sent: Promise<unknown> | undefined;
  let cancelled = false;
  const ready = Promise.all([tail, Promise.all(args)]);
  ready.then(
    ([, resolved]) => {
      if (cancelled) return;
      sent = ref.call(methodId, resolved, group, policy);
      sent.then(resolve, reject);
    },
    (error) => {
      held.delete(promise);
      if (!cancelled) reject(error);
    },
  );
  held.set(promise, {
    ref,
    methodId,
    cancel(makeError, force) {
      if (sent) return ref.cancelCall(sent, makeError, force);
      cancelled = true;
      held.delete(promise);
      reject(makeError(methodId));
      return true;
    },
  });
  const forget = () => held.delete(promise);
  promise.then(forget, forget);
  if (ref.kind === 'serial') {
    // Later calls wait until this one is sent (or failed to be), not until it settles.
    const next = ready.then(
      () => undefined,
      () => undefined,
    );
    serialTails.set(ref, next);
    next.then(() => {
      if (serialTails.get(ref) === next) serialTails.delete(ref);
    });
  }
  return promise;
}

function cancelledError(ref: ActorRef, methodId: number, reason?: unknown): CancelledError {
  const why = reason instanceof Error ? ` (${reason.message})` : '';
  return new CancelledError(
    `${describeCall(ref, methodId)} was cancelled${why}: if it had not started it never will; a ` +
      'running async call sees its callSignal() abort; a running sync call runs on to its end ' +
      'and its result is discarded.',
    ref.name,
    ref.methods[methodId] ?? `#${methodId}`,
  );
}

function cancelWith(
  ref: ActorRef,
  promise: Promise<unknown>,
  makeError: MakeError,
  force: boolean,
) {
  const hold = held.get(promise);
  if (hold) return hold.cancel(makeError, force);
  return ref.cancelCall(promise, makeError, force);
}

/**
 * Cancels a call made through a handle: its promise rejects at once with `CancelledError`. A call
 * that had not started never runs; a running async call sees its `callSignal()` abort and its
 * result is discarded; a running sync call cannot be interrupted and runs on to its end, unless
 * `force` is set on a threaded actor, which replaces the thread running it (and its replica).
 * Cancelling a call that already settled does nothing. `force` on a serial or async actor is
 * refused (its one thread holds all its state: `kill` it instead).
 *
 * @returns whether a pending call was cancelled
 */
export function cancel(promise: Promise<unknown>, options: { force?: boolean } = {}): boolean {
  const force = options.force === true;
  const hold = held.get(promise);
  if (hold) return hold.cancel((methodId) => cancelledError(hold.ref, methodId), force);
  for (const ref of liveRefs) {
    if (ref.cancelCall(promise, (methodId) => cancelledError(ref, methodId), force)) return true;
  }
  return false;
}

/** Options of `wait`. */
export interface WaitOptions {
  /** How many calls must have settled. @default 1 */
  numReturns?: number;
  /** Return after this long even if fewer have settled. @default no limit */
  timeoutMs?: number;
}

/**
 * Waits until `numReturns` of the calls have settled (or `timeoutMs` passed), as Ray's
 * `ray.wait`: `ready` holds up to `numReturns` settled calls and `pending` the others, each in
 * input order.
 *
 * @example
 * const { ready, pending } = await wait(calls, { numReturns: 2, timeoutMs: 1000 });
 */
export function wait<T>(
  calls: readonly Promise<T>[],
  options: WaitOptions = {},
): Promise<{ ready: Promise<T>[]; pending: Promise<T>[] }> {
  const numReturns = options.numReturns ?? 1;
  if (!(Number.isInteger(numReturns) && numReturns >= 0 && numReturns <= calls.length)) {
    return Promise.reject(
      new RangeError(
        `wait(calls, { numReturns: ${numReturns} }): numReturns must be a whole number from 0 ` +
          `to the number of calls (${calls.length}).`,
      ),
    );
  }
  return new Promise((resolve) => {
    const settled = new Set<number>();
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      const ready: Promise<T>[] = [];
      const pending: Promise<T>[] = [];
      calls.forEach((call, i) => {
        if (settled.has(i) && ready.length < numReturns) ready.push(call);
        else pending.push(call);
      });
      resolve({ ready, pending });
    };
    const mark = (i: number) => {
      settled.add(i);
      if (settled.size >= numReturns) finish();
    };
    calls.forEach((call, i) => {
      call.then(
        () => mark(i),
        () => mark(i),
      );
    });
    if (options.timeoutMs !== undefined) timer = setTimeout(finish, options.timeoutMs);
    if (numReturns === 0) finish();
  });
}
