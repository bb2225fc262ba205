/**
 * The call running now in this thread, for what an actor method can ask of its own call:
 * `callSignal()`, `isCancelled()` and `exitActor()`, and for the calls it makes (cancelled with
 * it). The executor marks the synchronous part of each call; once the actor holds a handle (so
 * it can make calls), an `AsyncLocalStorage` also follows each call past its awaits (it costs
 * every promise of the thread, so an actor that holds no handle never pays it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isPromise } from 'node:util/types';

/** A call a running call made: cancelled with it. */
export interface ChildCall {
  cancelAsChild(): void;
}

/** What runs calls in this thread: gives a running call its abort signal, and ends the actor. */
export interface CallRunner {
  readonly actorName: string;
  signalFor(endpoint: unknown, callId: number): AbortSignal;
  isCancelled(endpoint: unknown, callId: number): boolean;
  childrenOf(endpoint: unknown, callId: number): Set<ChildCall>;
  /** Ends the actor now (`exitActor()`): no other call starts. Idempotent. */
  requestExit(): void;
}

let runner: CallRunner | undefined;
let callEndpoint: unknown;
let callId = 0;

/** A call as the async context follows it past its awaits. */
interface RunningCall {
  readonly runner: CallRunner;
  readonly endpoint: unknown;
  readonly callId: number;
  /** False once it settled: calls made after that (from a callback it left) have no parent. */
  live: boolean;
}
let tracked: AsyncLocalStorage<RunningCall> | undefined;
/** The runner `exitActor()` ends outside a call's synchronous part (a constructor, a callback). */
let threadRunner: CallRunner | undefined;

export function enterCall(by: CallRunner, endpoint: unknown, id: number): void {
  runner = by;
  callEndpoint = endpoint;
  callId = id;
}

export function leaveCall(): void {
  runner = undefined;
}

/** From now on, follow each call past its awaits: the actor holds a handle, it can make calls. */
export function trackCalls(): void {
  tracked ??= new AsyncLocalStorage();
}

/** Runs a call's method; inside the async context of the call once the actor makes calls. */
export function runInCall(
  endpoint: unknown,
  id: number,
  fn: (...args: unknown[]) => unknown,
  self: unknown,
  args: unknown[],
): unknown {
  if (tracked === undefined) return fn.apply(self, args);
  const call: RunningCall = { runner: runner as CallRunner, endpoint, callId: id, live: true };
  const result = tracked.run(call, () => fn.apply(self, args));
  const done = () => {
    call.live = false;
  };
  // isPromise reads an internal slot: no trap of a Proxy runs (`instanceof` would run one).
  if (isPromise(result)) {
    result.then(done, done);
    return result;
  }
  // Any other result is the executor's to look at: a hostile one (a Proxy whose traps throw)
  // must fail as a result that cannot be sent, not as the method's throw, so nothing is read here.
  // A thenable ends its tracking now: its continuation is not this call's any more.
  done();
  return result;
}

/**
 * The calls made so far by the actor call running now in this thread (its synchronous part, or,
 * once this thread tracks calls, any part), where a new call joins them; undefined outside one.
 */
export function currentChildren(): Set<ChildCall> | undefined {
  if (runner !== undefined) return runner.childrenOf(callEndpoint, callId);
  if (tracked === undefined) return undefined;
  const call = tracked.getStore();
  return call?.live ? call.runner.childrenOf(call.endpoint, call.callId) : undefined;
}

/** The runner of this thread's actor (a worker hosts one). */
export function setThreadRunner(by: CallRunner): void {
  threadRunner = by;
}

/**
 * Inside an actor method: the signal that aborts when the caller cancels this call (or its
 * timeout passes). Call it before the method's first `await`, keep it, and pass it on (to
 * `fetch`, timers…) or check `signal.aborted`.
 *
 * @example
 * async download(url: string): Promise<number> {
 *   const signal = callSignal();
 *   const res = await fetch(url, { signal });
 *   return (await res.arrayBuffer()).byteLength;
 * }
 */
export function callSignal(): AbortSignal {
  if (runner === undefined) {
    throw new TypeError(
      'callSignal() must be called inside an actor method, before its first await: keep the ' +
        'signal in a variable and use it after.',
    );
  }
  return runner.signalFor(callEndpoint, callId);
}

/**
 * Inside an actor method: whether its caller has cancelled this call (or its timeout passed), as
 * Ray's `is_canceled()`. It reads shared memory, so a synchronous method that never yields can
 * poll it and stop early: its result is dropped anyway. Outside a method's synchronous part (after
 * an `await`), watch `callSignal()` instead.
 *
 * @example
 * crunch(items: number[]): number {
 *   let sum = 0;
 *   for (const item of items) {
 *     if (isCancelled()) break;
 *     sum += heavy(item);
 *   }
 *   return sum;
 * }
 */
export function isCancelled(): boolean {
  if (runner === undefined) {
    throw new TypeError(
      'isCancelled() must be called inside an actor method, in its synchronous part (before its ' +
        'first await); after an await, keep callSignal() and read signal.aborted.',
    );
  }
  return runner.isCancelled(callEndpoint, callId);
}

/**
 * What `exitActor()` throws, so that nothing after it runs: the actor has ended whatever the code
 * does with it (a `catch` that swallows it changes nothing). Its thread reports it nowhere.
 */
export class ActorExit extends Error {
  override name = 'ActorExit';
}

export function isActorExit(value: unknown): value is ActorExit {
  return value instanceof ActorExit;
}

/**
 * Inside an actor (a method, its constructor, or background work such as a timer it set): ends
 * the actor now, as Ray's `exit_actor()`. It never returns: it throws an exit signal, and whatever
 * the code does with it, the call that called it rejects with `ActorDiedError` saying the actor
 * called `exitActor()`, no other call starts (queued and later calls reject with
 * `ActorDiedError`, `mayHaveRun: false`), and calls still running (on an async actor) reject
 * with `ActorDiedError`, `mayHaveRun: true`. `onShutdown()` and the thread's
 * `process.on('exit')` handlers run within the grace (5 s), then the thread ends. An actor that
 * exits is not restarted; in a threaded actor every thread ends.
 *
 * @example
 * finish(): void {
 *   this.flush();
 *   exitActor();
 * }
 */
export function exitActor(): never {
  const target = runner ?? threadRunner;
  if (target === undefined) {
    throw new TypeError(
      'exitActor() must be called inside an actor (a method, its constructor, or work it ' +
        'started); to end an actor from outside, use terminate(handle) or kill(handle).',
    );
  }
  target.requestExit();
  throw new ActorExit(
    `actor ${target.actorName} called exitActor(): it has ended, and this signal only stops ` +
      'the code that called it.',
  );
}
