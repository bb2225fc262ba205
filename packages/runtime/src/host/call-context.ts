/**
 * The call running now in this thread, for what an actor method can ask of its own call:
 * `callSignal()` and `exitActor()`. The executor marks the synchronous part of each call.
 */

/** What runs calls in this thread: gives a running call its abort signal, and ends the actor. */
export interface CallRunner {
  readonly actorName: string;
  signalFor(endpoint: unknown, callId: number): AbortSignal;
  /** Ends the actor now (`exitActor()`): no other call starts. Idempotent. */
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
