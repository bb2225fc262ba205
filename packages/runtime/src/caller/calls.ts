import {
  ActorDefinitionError,
  CancelledError,
  PendingCallsLimitError,
  TimeoutError,
} from '../errors.js';
import type { CallOptions } from '../options.js';
import type { RetryPolicy } from '../wire/protocol.js';
import { Call, callOf, extrasOf, startCall } from './call.js';
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
            options.retryExceptions ?? info.retries[methodId]?.retryExceptions ?? false,
        }
      : undefined;
  const call = send(ref, methodId, args, group, policy);
  const timeoutMs = options.timeoutMs ?? info.methodTimeouts[methodId];
  let timer: NodeJS.Timeout | undefined;
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      call.cancel(
        () =>
          new TimeoutError(
            `${describeCall(call)} timed out after ${timeoutMs} ms: if it had not started it ` +
              'never will; a running async call was aborted (callSignal()); a running sync call ' +
              'runs on to its end and its result is discarded.',
            info.name,
            method,
            timeoutMs,
          ),
        false,
      );
    }, timeoutMs);
  }
  const onAbort = () => call.cancel((c) => cancelledError(c, signal?.reason), false);
  signal?.addEventListener('abort', onAbort, { once: true });
  const settled = () => {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (limit !== undefined) {
      const left = (pendingByActor.get(info.actorId) ?? 1) - 1;
      if (left === 0) pendingByActor.delete(info.actorId);
      else pendingByActor.set(info.actorId, left);
    }
  };
  call.promise.then(settled, settled);
  return call.promise;
}

/**
 * Sends a call, first resolving arguments that are promises (results of other calls). Such a
 * call is held alone: later calls go on, except on a serial actor, whose calls keep their order.
 */
function send(
  ref: ActorRef,
  methodId: number,
  args: unknown[],
  group: number | undefined,
  policy: RetryPolicy | undefined,
): Call {
  const tail = ref.info.kind === 'serial' ? serialTails.get(ref) : undefined;
  if (tail === undefined && !hasPromiseArgument(args)) {
    return startCall(ref, methodId, args, group, policy);
  }
  const call = new Call(ref, methodId, args, {
    ...extrasOf(ref, methodId, group, policy),
    held: true,
  });
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
  return call;
}

function cancelledError(call: Call, reason?: unknown): CancelledError {
  const why = reason instanceof Error ? ` (${reason.message})` : '';
  return new CancelledError(
    `${describeCall(call)} was cancelled${why}: if it had not started it never will; a ` +
      'running async call sees its callSignal() abort; a running sync call runs on to its end ' +
      'and its result is discarded.',
    call.ref.info.name,
    call.method,
  );
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
  const call = callOf(promise);
  if (call === undefined) return false;
  return call.cancel((c) => cancelledError(c), options.force === true);
}
