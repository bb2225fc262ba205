/**
 * The call running now in this thread, for what an actor method can ask of its own call:
 * `callSignal()` and `exitActor()`. The executor marks the synchronous part of each call.
 */

/** What runs calls in this thread: gives a running call its abort signal, and ends the actor. */
export interface CallRunner {
  signalFor(endpoint: unknown, callId: number): AbortSignal;
  requestExit(): void;
}

let runner: CallRunner | undefined;
let callEndpoint: unknown;
let callId = 0;
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
 * Inside an actor method: ends the actor once its running calls are done (this one included).
 * Calls not yet started reject with `ActorDiedError`, `onShutdown()` runs if the class has one,
 * and later calls reject with `ActorDiedError` saying the actor called `exitActor()`.
 */
export function exitActor(): void {
  const target = runner ?? threadRunner;
  if (target === undefined) {
    throw new TypeError('exitActor() must be called inside an actor, from one of its methods.');
  }
  target.requestExit();
}
