import type { Call } from '../caller/call.js';
import { Connection } from '../caller/connection.js';
import type { ActorInfo } from '../wire/protocol.js';
import type { ActorHost } from './host-worker.js';

/**
 * One running copy of an actor and the owner's connection to it: the single worker of a serial
 * or async actor, or one thread of a threaded actor's pool.
 */
export class Replica {
  readonly conn: Connection;
  /** The call it runs, in a thread pool (one at a time). */
  running: Call | undefined = undefined;
  /** Replaced by a new thread (a forced cancel): its exit is expected. */
  retired = false;
  /** Its host has ended: it takes no more calls. */
  gone = false;

  constructor(
    /** Its index among the actor's threads (0 for a single worker). */
    readonly index: number,
    /** The concurrency group whose calls it runs, in a thread pool. */
    readonly group: number,
    readonly host: ActorHost,
    info: ActorInfo,
  ) {
    this.conn = new Connection(host.transport, info, true);
  }
}
