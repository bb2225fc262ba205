/** Errors a caller can meet. Each message names the actor, the method and what to do. */

const REMOTE = Symbol.for('troupe.remote-error');

/** Base class of every error Troupe itself raises. */
export class TroupeError extends Error {
  override name = 'TroupeError';
}

/**
 * A method threw inside the actor. The error keeps the original `name`, `message`, the remote
 * stack (`remoteStack`, also appended to `stack`) and the thrown error's cloneable own
 * properties; `cause` holds the original error as rebuilt on this side. When the caller can know
 * the thrown error's class (exported by the actor's module, or passed to `registerErrorClass`),
 * the error is an instance of that class as well: `err instanceof RemoteError` and
 * `err instanceof MyError` both hold.
 */
export class RemoteError extends Error {
  /** The actor's name, e.g. `Counter#1`. */
  declare actor: string;
  /** The method that threw. */
  declare method: string;
  /** The stack as it was in the actor's thread. */
  declare remoteStack: string | undefined;
  /** Where a non-Error value was thrown (a string, `null`…): that value. */
  declare thrown?: unknown;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && REMOTE in value;
  }
}
Object.defineProperty(RemoteError.prototype, REMOTE, { value: true });
Object.defineProperty(RemoteError.prototype, 'name', { value: 'RemoteError', writable: true });

/** Marks any error object as a `RemoteError` (used for instances of the user's own classes). */
export function brandRemote(error: object): void {
  Object.defineProperty(error, REMOTE, { value: true });
}

/**
 * The actor is dead: killed, shut down, crashed, or its worker exited. Calls pending at that
 * moment and every later call reject with it.
 */
export class ActorDiedError extends TroupeError {
  override name = 'ActorDiedError';
  constructor(
    message: string,
    /** The actor's name. */
    readonly actor: string,
  ) {
    super(message);
  }
}

/**
 * An argument or a result could not be structured-cloned (a function, a symbol, an object with
 * such a property…). The call did not run (argument) or its result was lost (result); the actor
 * is unharmed and serves the next call.
 */
export class SerializationError extends TroupeError {
  override name = 'SerializationError';
  constructor(
    message: string,
    readonly actor: string,
    readonly method: string,
    /** Index of the offending argument, or `'result'`. */
    readonly argument: number | 'result',
  ) {
    super(message);
  }
}

/** An untyped handle called a method the actor's class does not have. */
export class UnknownMethodError extends TroupeError {
  override name = 'UnknownMethodError';
  constructor(
    message: string,
    readonly actor: string,
    readonly method: string,
  ) {
    super(message);
  }
}

/** The actor class or its spawn options are wrong; the message says how to fix them. */
export class ActorDefinitionError extends TroupeError {
  override name = 'ActorDefinitionError';
}

/**
 * The call was cancelled (`cancel(promise)`, or its `signal` aborted). A call that had not
 * started never runs; an async call that had started sees its `callSignal()` abort and its
 * result is discarded; a sync call that had started runs on to its end (JavaScript cannot
 * interrupt it) unless cancelled with `{ force: true }` on a threaded actor.
 */
export class CancelledError extends TroupeError {
  override name = 'CancelledError';
  constructor(
    message: string,
    readonly actor: string,
    readonly method: string,
  ) {
    super(message);
  }
}

/** The call outlived its `timeoutMs`, counted from when it was made. */
export class TimeoutError extends TroupeError {
  override name = 'TimeoutError';
  constructor(
    message: string,
    readonly actor: string,
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(message);
  }
}

/** The actor already has `maxPendingCalls` calls pending from this thread. */
export class PendingCallsLimitError extends TroupeError {
  override name = 'PendingCallsLimitError';
  constructor(
    message: string,
    readonly actor: string,
    readonly limit: number,
  ) {
    super(message);
  }
}

/** `getActor` found no live actor under that name in that namespace. */
export class ActorNotFoundError extends TroupeError {
  override name = 'ActorNotFoundError';
}
