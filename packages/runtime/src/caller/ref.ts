import type { MessagePort } from 'node:worker_threads';
import type { ActorInfo } from '../wire/protocol.js';
import type { Call } from './call.js';

export type { ActorInfo };

/** What a cancel found, which says when the cancelled call rejects. */
export enum CancelOutcome {
  /** The call had not started, and now never will: it rejects at once. */
  NotStarted,
  /**
   * As `NotStarted`, and nothing of the ref's holds the call any more (its record may be reused
   * once it has rejected).
   */
  Withdrawn,
  /** It was running synchronously (or awaiting without watching its signal): it rejects at once. */
  Stopped,
  /** It watches its `callSignal()`: it rejects once its actor answers, after its abort handling. */
  Aborting,
}

/**
 * The thing behind a handle: what runs calls on one actor, wherever it lives. A connection over
 * a transport is one; an actor this thread owns is another, forwarding each call to its current
 * worker (or to an idle thread of its pool). Handles, `cancel`, `wait`, streams and ActorPool
 * reach actors through this interface alone.
 */
export interface ActorRef {
  readonly info: ActorInfo;
  /**
   * Calls may be sent again after a crash, whatever their retries (the actor restarts, and a call
   * that had not started waits for the new instance): they keep their arguments until answered.
   */
  readonly resends?: boolean;
  /**
   * Sends a call: the first time, or again (a retry). The ref settles it through its `Call`
   * record, whatever happens to the actor.
   */
  send(call: Call): void;
  /**
   * Withdraws a pending call: a call not yet started never runs, a running one sees its signal
   * abort (and with `recursive`, the calls it made are cancelled too); `force` replaces a threaded
   * actor's thread running it. The caller settles the call, when the outcome says. Throws
   * `ActorDefinitionError` where `force` cannot apply.
   */
  cancel(call: Call, force: boolean, recursive: boolean): CancelOutcome;
  /** Resolves once the actor is constructed; rejects with the constructor's error. */
  ready(): Promise<void>;
  /** A new port to the actor, for a handle in another thread. */
  connect(): MessagePort;
  /** Ends the actor; pending and later calls reject with `ActorDiedError`. */
  kill(): Promise<void>;
  /**
   * Ends the actor gracefully once the calls already sent have run (`onShutdown()` then runs);
   * later calls reject with `ActorDiedError`. `timeoutMs` bounds the end where this thread owns
   * the actor (elsewhere the request is sent and the owner decides).
   */
  terminate(timeoutMs?: number): Promise<void>;
}
