/** Errors a caller can meet. Each message names the actor, the method and what to do. */

const REMOTE = Symbol.for('troupe.remote-error');

/**
 * Makes an error whose stack starts where the user called `entry`, one of Troupe's exported
 * functions, as Node's own errors do: the frames inside Troupe say nothing about where the user's
 * code went wrong. Leaving them out also spares keeping them (200k calls cancelled keep 200k
 * errors alive until their promises are read): 3-5% of a cancel at 200k, measured.
 * Where `Error.stackTraceLimit` cannot be changed (frozen intrinsics), the stack is the usual one.
 */
export function errorFrom<E extends Error>(entry: Function, make: () => E): E {
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 0;
  } catch {
    return make();
  }
  let error: E;
  try {
    error = make();
  } finally {
    Error.stackTraceLimit = limit;
  }
  Error.captureStackTrace(error, entry);
  return error;
}

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
 * The actor is dead: killed, shut down, terminated, ended itself (`exitActor()`), crashed, or its
 * worker exited. Calls pending at that moment and every later call reject with it.
 */
export class ActorDiedError extends TroupeError {
  override name = 'ActorDiedError';
  constructor(
    message: string,
    /** The actor's name. */
    readonly actor: string,
    /**
     * True when the call may have run, in part or whole (it was running, or its fate cannot be
     * told); false when it certainly never started.
     */
    readonly mayHaveRun = false,
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

/** An `ActorPool` was misused, or has no actor left to run a call; the message says what to do. */
export class ActorPoolError extends TroupeError {
  override name = 'ActorPoolError';
}

/**
 * `getNext(timeoutMs)` or `getNextUnordered(timeoutMs)` had no result to return in time. Nothing
 * is lost: the calls still run, and a later `getNext` / `getNextUnordered` returns their results.
 */
export class ActorPoolTimeoutError extends TroupeError {
  override name = 'ActorPoolTimeoutError';
  constructor(
    message: string,
    /** The pool method that gave up. */
    readonly method: 'getNext' | 'getNextUnordered',
    readonly timeoutMs: number,
    /** The submission number (0-based) `getNext` waited for; undefined for `getNextUnordered`. */
    readonly call: number | undefined,
  ) {
    super(message);
  }
}

/**
 * Messages of `ActorDiedError`, built here alone so that every room tells a call's fate the same
 * way: whether it was sent, whether it started, and what to do.
 */
export const died = {
  /** The actor was dead before the call could leave this thread. */
  notSent(actor: string, method: string, reason: string): ActorDiedError {
    return new ActorDiedError(
      `Actor ${actor} is dead (${reason}); call '${method}' was not sent.`,
      actor,
      false,
    );
  },
  /**
   * The actor died with the call sent and unanswered. `started`: whether it had started, where
   * this thread can tell (undefined where it cannot).
   */
  inFlight(actor: string, method: string, reason: string, started?: boolean): ActorDiedError {
    if (started === false) {
      return new ActorDiedError(
        `Actor ${actor} is dead (${reason}); call '${method}' had not started: it did not run.`,
        actor,
        false,
      );
    }
    return new ActorDiedError(
      `Actor ${actor} is dead (${reason}); call '${method}' did not complete: ` +
        (started
          ? 'it was running and may have run in part.'
          : 'it may have run in part, or not at all.'),
      actor,
      true,
    );
  },
  /** The actor ended itself (`exitActor()`) while the call was running, or the call called it. */
  whileRunning(actor: string, method: string, reason: string): ActorDiedError {
    return new ActorDiedError(
      `Actor ${actor} ended (${reason}) while call '${method}' was running: it may have run in ` +
        'part, and its result is lost.',
      actor,
      true,
    );
  },
  /** The actor ended before the call started; it never ran. */
  beforeStart(actor: string, method: string, end: EndReason | string): ActorDiedError {
    return new ActorDiedError(notStartedMessage(actor, method, end), actor, false);
  },
  /**
   * The actor (or, with `thread`, one of its threads) crashed and was restarted, and the call
   * was not sent again. `ran`: true if it was running, false if it had not started, undefined if
   * that cannot be told.
   */
  afterRestart(
    actor: string,
    method: string,
    reason: string,
    restart: { count: number; max: number; thread: boolean },
    ran: boolean | undefined,
  ): ActorDiedError {
    const fate =
      ran === undefined
        ? 'it may have run in part, or not at all'
        : ran
          ? 'it was running and may have run in part'
          : 'it had not started';
    const what = restart.thread
      ? `: the thread running call '${method}' crashed (${reason}) and was replaced`
      : ` crashed (${reason}) and was restarted`;
    return new ActorDiedError(
      `Actor ${actor}${what} (restart ${restart.count} of ${restart.max}); call '${method}' ` +
        `did not complete: ${fate}. Give it maxTaskRetries (and make it idempotent) to have it ` +
        'sent again.',
      actor,
      ran !== false,
    );
  },
};

/** Why an actor ended on its own terms, where a call that never started needs saying why. */
export enum EndReason {
  ShutDown = 'it was shut down',
  ExitActor = 'it called exitActor()',
  Terminated = 'it was terminated',
  Killed = 'it was killed',
}

/** The message for a call dropped unstarted because its actor ended. */
export function notStartedMessage(actor: string, method: string, end: EndReason | string): string {
  return end === EndReason.ShutDown
    ? `Actor ${actor} was shut down before call '${method}' started; it did not run.`
    : `Actor ${actor} ended (${end}) before call '${method}' started; it did not run.`;
}
