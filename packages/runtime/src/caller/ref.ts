import type { MessagePort } from 'node:worker_threads';
import type { RetryPolicy } from '../options.js';
import type { ActorInfo } from '../wire/protocol.js';

export type { ActorInfo };

/** The thing behind a handle: something that can run calls on an actor. */
export interface ActorRef extends ActorInfo {
  /**
   * Sends a call; `group` overrides the method's concurrency group, `policy` its retry policy.
   */
  call(methodId: number, args: unknown[], group?: number, policy?: RetryPolicy): Promise<unknown>;
  /**
   * Rejects a pending call's promise at once with the error `makeError` builds for its method,
   * and tells the actor, which drops the call if it has not started and aborts its signal if it
   * has; `force` replaces a threaded actor's thread running it. False if `promise` is not pending
   * here.
   */
  cancelCall(
    promise: Promise<unknown>,
    makeError: (methodId: number) => Error,
    force: boolean,
  ): boolean;
  /** Starts a streaming call (an async generator method) and returns its items as they come. */
  stream(methodId: number, args: unknown[]): AsyncIterableIterator<unknown>;
  /** Resolves once the actor is constructed; rejects with the constructor's error. */
  ready(): Promise<void>;
  /** A new port to the actor, for a handle in another thread. */
  connect(): MessagePort;
  /** Ends the actor; pending and later calls reject with `ActorDiedError`. */
  kill(): Promise<void>;
}
