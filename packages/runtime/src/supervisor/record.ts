import type { ActorRef } from '../caller/ref.js';
import type { ActorKind } from '../wire/protocol.js';

/** What `listActors()` reports of one actor. */
export interface ActorSummary {
  id: string;
  name: string;
  kind: ActorKind;
  /** Worker threads it runs on. */
  threads: number;
  /** Calls waiting to start. */
  queued: number;
  /** Calls running now. */
  running: number;
  /** Calls that returned. */
  done: number;
  /** Calls that threw. */
  failed: number;
  /** Times it was rebuilt after a crash (a threaded actor: threads replaced). */
  restarts: number;
  /** The cluster node hosting it, for an actor placed on one (`@troupe/cluster`). */
  node?: string;
  /** Which start of the actor on the cluster this is (1 for the first). */
  incarnation?: number;
}

/** An actor this thread owns: it started its workers and ends them. */
export interface ActorRecord {
  readonly ref: ActorRef;
  summary(): ActorSummary;
  /**
   * Ends the actor at once; pending calls reject with `ActorDiedError`. With `noRestart` false,
   * ends it as a crash would: it restarts if restarts are left.
   */
  kill(noRestart?: boolean): Promise<void>;
  /**
   * Rejects queued calls, lets running calls finish (for up to `timeoutMs`, then ends them), runs
   * `onShutdown()`, then ends the actor.
   */
  shutdown(timeoutMs?: number, notice?: boolean): Promise<void>;
  /**
   * Lets the calls already made run, refuses later ones, runs `onShutdown()`, then ends the actor
   * (for up to `timeoutMs`, then it is ended whatever it is doing).
   */
  terminate(timeoutMs?: number): Promise<void>;
  /** Settles when the actor's threads have all exited. */
  readonly exited: Promise<void>;
}
