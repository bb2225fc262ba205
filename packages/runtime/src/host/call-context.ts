/**
 * Where this thread stands. A worker imports its actor's module, and that import re-runs the
 * module's top-level code: if that code spawns actors, every worker would spawn more workers.
 * The host installs a guard that `spawn` consults; it names the reason to refuse, if any.
 */

type SpawnGuard = () => string | undefined;

let guard: SpawnGuard | undefined;
let violation: Error | undefined;

export function setSpawnGuard(check: SpawnGuard): void {
  guard = check;
}

/** Why `spawn` must not run here and now, or undefined where it may. */
export function spawnRefusal(): string | undefined {
  return guard?.();
}

/** The first spawn refused while the actor's module loaded, for the host to report. */
export function loadViolation(): Error | undefined {
  return violation;
}

export function recordLoadViolation(error: Error): void {
  violation ??= error;
}

/** Whatever runs calls in this thread and can give a running call its abort signal. */
export interface SignalSource {
  signalFor(endpoint: unknown, callId: number): AbortSignal;
}

let source: SignalSource | undefined;
let callEndpoint: unknown;
let callId = 0;

/** The executor marks the synchronous part of each call, for `callSignal()`. */
export function enterCall(runner: SignalSource, endpoint: unknown, id: number): void {
  source = runner;
  callEndpoint = endpoint;
  callId = id;
}

export function leaveCall(): void {
  source = undefined;
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
  if (source === undefined) {
    throw new TypeError(
      'callSignal() must be called inside an actor method, before its first await: keep the ' +
        'signal in a variable and use it after.',
    );
  }
  return source.signalFor(callEndpoint, callId);
}

let exitHandler: (() => void) | undefined;

/** The host installs what `exitActor()` does in its worker. */
export function setExitHandler(handler: () => void): void {
  exitHandler = handler;
}

/**
 * Inside an actor method: ends the actor once its running calls are done (this one included).
 * Calls not yet started reject with `ActorDiedError`, `onShutdown()` runs if the class has one,
 * and later calls reject with `ActorDiedError` saying the actor called `exitActor()`.
 */
export function exitActor(): void {
  if (exitHandler === undefined) {
    throw new TypeError('exitActor() must be called inside an actor, from one of its methods.');
  }
  exitHandler();
}

let registryPort: import('node:worker_threads').MessagePort | undefined;

/** In a worker: its port to the name registry, which lives in the main thread. */
export function setRegistryPort(port: import('node:worker_threads').MessagePort): void {
  registryPort = port;
}

export function ownRegistryPort(): import('node:worker_threads').MessagePort | undefined {
  return registryPort;
}
