import {
  ActorDefinitionError,
  CancelledError,
  errorFrom,
  PendingCallsLimitError,
  TimeoutError,
} from '../errors.js';
import {
  type CallOptions,
  checkNumeric,
  RETRIES_RANGE,
  TIMEOUT_RANGE,
  timeoutOf,
} from '../options.js';
import type { RetryPolicy } from '../wire/protocol.js';
import { Call, type CallExtras, callOf, extrasOf, retryExceptionNames, startCall } from './call.js';
import type { ActorRef } from './ref.js';

/**
 * The caller's side of a call beyond sending it: per-call options, timeouts, cancellation,
 * `maxPendingCalls`, and arguments that are promises of other calls' results. A handle takes
 * this path only for calls that need it; a plain call goes straight to `startCall`.
 */

/** Calls pending per actor from this thread, where the actor has a `maxPendingCalls`. */
const pendingByActor = new Map<string, number>();
/** A serial actor's calls held behind an earlier call's arguments, in submission order. */
const serialTails = new WeakMap<ActorRef, Promise<unknown>>();

/** True when a call of this method must take `invoke` even without options. */
export function needsInvoke(ref: ActorRef, methodId: number): boolean {
  return ref.info.methodTimeouts[methodId] !== undefined || ref.info.maxPendingCalls !== undefined;
}

/**
 * True when a plain call cannot go straight out: an argument is a promise, or (on a serial
 * actor) an earlier call from this thread is still held for its arguments.
 */
export function mustHold(ref: ActorRef, args: unknown[]): boolean {
  return hasPromiseArgument(args) || (ref.info.kind === 'serial' && serialTails.has(ref));
}

function hasPromiseArgument(args: unknown[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'object' && a !== null && isThenable(a)) return true;
  }
  return false;
}

/** Whether an argument is a promise; one whose `then` cannot be read is not (sending it fails). */
function isThenable(value: object): boolean {
  try {
    return typeof (value as PromiseLike<unknown>).then === 'function';
  } catch {
    return false;
  }
}

function describeCall(call: Call): string {
  return `call '${call.method}' on actor ${call.ref.info.name}`;
}

/**
 * Checks per-call options at once (`handle.method.options({...})`), before any call is made: a
 * value out of range throws a `TypeError` naming it.
 */
export function checkCallOptions(ref: ActorRef, methodId: number, options: CallOptions): void {
  const where = `${ref.info.name}.${ref.info.methods[methodId] ?? `#${methodId}`}.options()`;
  timeoutOf(where, options.timeoutMs);
  checkNumeric(where, 'maxTaskRetries', options.maxTaskRetries, RETRIES_RANGE);
}

/** A call with everything a handle offers beyond the plain path. */
export function invoke(
  ref: ActorRef,
  methodId: number,
  args: unknown[],
  options: CallOptions = {},
): Promise<unknown> {
  const { info } = ref;
  const method = info.methods[methodId] ?? `#${methodId}`;
  let group: number | undefined;
  if (options.concurrencyGroup !== undefined) {
    group = info.groups.indexOf(options.concurrencyGroup);
    if (group < 0) {
      return Promise.reject(
        new ActorDefinitionError(
          `Actor ${info.name}, method '${method}': concurrency group '${options.concurrencyGroup}' ` +
            `is not declared; the actor's groups are: ${info.groups.join(', ')}.`,
        ),
      );
    }
  }
  const { signal } = options;
  if (signal?.aborted) {
    return Promise.reject(
      new CancelledError(
        `call '${method}' on actor ${info.name} was cancelled before it was sent; it never ran.`,
        info.name,
        method,
      ),
    );
  }
  const limit = info.maxPendingCalls;
  if (limit !== undefined) {
    const pending = pendingByActor.get(info.actorId) ?? 0;
    if (pending >= limit) {
      return Promise.reject(
        new PendingCallsLimitError(
          `Actor ${info.name} already has ${pending} calls pending from this thread ` +
            `(maxPendingCalls ${limit}), so call '${method}' was refused and not sent. Wait for ` +
            'earlier calls to settle, or raise maxPendingCalls.',
          info.name,
          limit,
        ),
      );
    }
    pendingByActor.set(info.actorId, pending + 1);
  }
  const policy: RetryPolicy | undefined =
    options.maxTaskRetries !== undefined || options.retryExceptions !== undefined
      ? {
          maxTaskRetries: options.maxTaskRetries ?? info.retries[methodId]?.maxTaskRetries ?? 0,
          retryExceptions:
            retryExceptionNames(
              options.retryExceptions,
              `options({ retryExceptions }) of '${method}'`,
            ) ??
            info.retries[methodId]?.retryExceptions ??
            false,
        }
      : undefined;
  // Infinity (or a method's timeout of Infinity) is no limit; the values were checked already.
  const timeoutMs = options.timeoutMs ?? info.methodTimeouts[methodId];
  const limitMs = timeoutMs === Number.POSITIVE_INFINITY ? undefined : timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => call.cancel((c) => cancelledError(c, signal?.reason));
  // Cleaned up when the call settles, from the call itself: a handler on its promise would mark
  // its rejection handled, and an unawaited call must report it as unhandled like a plain call.
  const extras: CallExtras = {
    ...extrasOf(ref, methodId, group, policy),
    onSettled: () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (limit !== undefined) {
        const left = (pendingByActor.get(info.actorId) ?? 1) - 1;
        if (left === 0) pendingByActor.delete(info.actorId);
        else pendingByActor.set(info.actorId, left);
      }
    },
  };
  const call = send(ref, methodId, args, extras);
  if (limitMs !== undefined && !call.settled) {
    timer = setTimeout(() => {
      call.cancel(
        () =>
          new TimeoutError(
            `${describeCall(call)} timed out after ${timeoutMs} ms: if it had not started it ` +
              'never will; a running sync call was stopped (its result is dropped, ' +
              'isCancelled() turned true in it); a running async call was aborted ' +
              '(callSignal()) and its abort handling finished or its grace ran out.',
            info.name,
            method,
            timeoutMs as number,
          ),
      );
    }, limitMs);
  }
  if (!call.settled) signal?.addEventListener('abort', onAbort, { once: true });
  return call.promise;
}

/**
 * Sends a call, first resolving arguments that are promises (results of other calls). Such a
 * call is held alone: later calls go on, except on a serial actor, whose calls keep their order.
 */
function send(ref: ActorRef, methodId: number, args: unknown[], extras: CallExtras): Call {
  const tail = ref.info.kind === 'serial' ? serialTails.get(ref) : undefined;
  if (tail === undefined && !hasPromiseArgument(args)) {
    return startCall(ref, methodId, args, undefined, undefined, extras);
  }
  extras.held = true;
  const call = new Call(ref, methodId, args, extras);
  const ready = Promise.all([tail, Promise.all(args)]);
  ready.then(
    ([, resolved]) => {
      call.held = false;
      if (call.settled) return;
      call.args = resolved;
      ref.send(call);
    },
    (error) => {
      call.held = false;
      call.reject(error);
    },
  );
  if (ref.info.kind === 'serial') {
    // Later calls wait until this one is sent (or failed to be, or was cancelled while held:
    // a held call that never will be sent must not hold back the calls behind it).
    const next = Promise.race([ready, call.promise]).then(
      () => undefined,
      () => undefined,
    );
    serialTails.set(ref, next);
    next.then(() => {
      if (serialTails.get(ref) === next) serialTails.delete(ref);
    });
  }
  return call;
}

function cancelledError(call: Call, reason?: unknown): CancelledError {
  const why = reason instanceof Error ? ` (${reason.message})` : '';
  return new CancelledError(
    `${describeCall(call)} was cancelled${why}: if it had not started it never will; a ` +
      'running sync call was stopped (its result is dropped, isCancelled() turned true in it); ' +
      'a running async call saw its callSignal() abort.',
    call.ref.info.name,
    call.method,
  );
}

/** Options of `cancel`. */
export interface CancelOptions {
  /**
   * Replace the thread running a sync call, and its replica (threaded actors only; a serial or
   * async actor's one thread holds all its state: `kill` it instead).
   */
  force?: boolean;
  /** Cancel the calls the cancelled call made too, down the chain (Ray's default). @default true */
  recursive?: boolean;
  /**
   * How long a running async call that watches its `callSignal()` may take to handle the abort
   * before its promise rejects anyway. @default 5000
   */
  graceMs?: number;
}

/**
 * Cancels a call made through a handle, as Ray's `ray.cancel`: its promise rejects with
 * `CancelledError`. Whether it had started is decided by one compare-and-swap on memory the
 * caller and the actor share, so a call that had not started rejects at once and never runs,
 * even if the actor is busy. A running sync call rejects at once, its result is dropped, and
 * `isCancelled()` turns true inside it (`force`, on a threaded actor, replaces its thread
 * instead). A running async call sees its `callSignal()` abort; if it watches that signal it
 * rejects once its abort handling is done (or after `graceMs`), else at once. The calls the
 * cancelled call made are cancelled too, down the chain, unless `recursive` is false. Cancelling
 * a call that already settled does nothing.
 *
 * @returns whether a pending call was cancelled (at once: the rejection may follow)
 */
export function cancel(promise: Promise<unknown>, options: CancelOptions = {}): boolean {
  checkNumeric('cancel(call, options)', 'graceMs', options.graceMs, TIMEOUT_RANGE);
  const call = callOf(promise);
  if (call === undefined) return false;
  // The error's stack starts at the user's cancel(), not inside Troupe.
  return call.cancel((c) => errorFrom(cancel, () => cancelledError(c)), options);
}
