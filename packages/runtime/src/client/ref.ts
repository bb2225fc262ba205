import type { MessagePort } from 'node:worker_threads';
import type { ActorKind } from '../wire/messages.js';

/** What a handle knows of its actor. */
export interface ActorInfo {
  readonly actorId: string;
  readonly name: string;
  readonly kind: ActorKind;
  /** Method names; a method's id is its index here. */
  readonly methods: readonly string[];
  readonly moduleUrl?: string;
}

/** The thing behind a handle: something that can run calls on an actor. */
export interface ActorRef extends ActorInfo {
  call(methodId: number, args: unknown[]): Promise<unknown>;
  /** Resolves once the actor is constructed; rejects with the constructor's error. */
  ready(): Promise<void>;
  /** A new port to the actor, for a handle in another thread. */
  connect(): MessagePort;
  /** Ends the actor; pending and later calls reject with `ActorDiedError`. */
  kill(): Promise<void>;
}
