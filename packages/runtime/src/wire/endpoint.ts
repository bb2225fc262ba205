import type { MessagePort } from 'node:worker_threads';
import {
  decodeArgs,
  encodeDeep,
  findUncloneable,
  isDataCloneError,
  needsEncoding,
} from './codec.js';
import { serializeError } from './errors.js';
import type { Transferable } from './protocol.js';
import { Op, Status } from './protocol.js';

/** Whatever runs the calls an endpoint receives: an actor's executor, or a thread pool. */
export interface CallTarget {
  /**
   * Runs or queues a call, and answers it through `endpoint.reply` or `endpoint.fail`. `target`
   * is the method id, or `[methodId, groupId]` where the call overrides its concurrency group.
   */
  submit(endpoint: Endpoint, callId: number, target: number | number[], args: unknown[]): void;
  /** A message that is neither calls nor a connection (shutdown, kill, unify). */
  control(message: unknown[], endpoint: Endpoint): void;
}

const dirty: Endpoint[] = [];
let flushScheduled = false;

/** Sends every result waiting in any endpoint of this thread now. */
export function flushReplies(): void {
  flushScheduled = false;
  for (let i = 0; i < dirty.length; i++) dirty[i].flush();
  dirty.length = 0;
}

/**
 * The serving side of one MessagePort: decodes batches of calls for its target and sends the
 * results back, batched per tick like the calls.
 */
export class Endpoint {
  private outbox: unknown[] = [Op.Results];
  private transfers: Transferable[] = [];
  private closed = false;

  constructor(
    readonly port: MessagePort,
    private readonly target: CallTarget,
    /** False where the endpoint must not keep its thread alive (the supervisor's side). */
    private readonly keepAlive = true,
  ) {
    port.on('message', (message: unknown[]) => this.receive(message));
    port.on('close', () => {
      this.closed = true;
    });
    if (!keepAlive) port.unref();
  }

  reply(callId: number, value: unknown): void {
    if (needsEncoding(value, this.transfers)) {
      this.push(callId, Status.OkEncoded, encodeDeep(value, this.transfers));
    } else {
      this.push(callId, Status.Ok, value);
    }
  }

  /** An item of a streaming call; the call stays pending until `reply` or `fail`. */
  yield(callId: number, item: unknown): void {
    if (needsEncoding(item, this.transfers)) {
      this.push(callId, Status.YieldEncoded, encodeDeep(item, this.transfers));
    } else {
      this.push(callId, Status.Yield, item);
    }
  }

  fail(callId: number, thrown: unknown): void {
    this.push(callId, Status.Threw, serializeError(thrown));
  }

  /** The call will never run (the actor is ending). */
  drop(callId: number, message: string): void {
    this.push(callId, Status.Dropped, message);
  }

  post(message: unknown[]): void {
    this.flush();
    if (!this.closed) this.port.postMessage(message);
  }

  flush(): void {
    const batch = this.outbox;
    if (batch.length === 1) return;
    const transfers = this.transfers;
    this.outbox = [Op.Results];
    this.transfers = [];
    if (this.closed) return;
    try {
      this.port.postMessage(batch, transfers);
    } catch (error) {
      if (!isDataCloneError(error)) throw error;
      this.sendOneByOne(batch);
    }
  }

  private push(callId: number, status: Status, value: unknown): void {
    const wasEmpty = this.outbox.length === 1;
    this.outbox.push(callId, status, value);
    if (!wasEmpty) return;
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flushReplies);
    }
  }

  /** A batch of results failed to clone: send each alone and report the culprits. */
  private sendOneByOne(batch: unknown[]): void {
    for (let i = 1; i < batch.length; i += 3) {
      const triple = [Op.Results, batch[i], batch[i + 1], batch[i + 2]];
      try {
        this.port.postMessage(triple, transfersIn(batch[i + 2]));
      } catch {
        triple[2] = Status.NotCloneable;
        triple[3] = findUncloneable([batch[i + 2]])?.reason ?? 'it cannot be structured-cloned';
        this.port.postMessage(triple);
      }
    }
  }

  private receive(message: unknown[]): void {
    switch (message[0]) {
      case Op.Calls:
        for (let i = 1; i < message.length; i += 3) {
          const callId = message[i] as number;
          let args: unknown[];
          try {
            args = decodeArgs(message[i + 2] as unknown[]);
          } catch (error) {
            this.fail(callId, error);
            continue;
          }
          this.target.submit(this, callId, message[i + 1] as number | number[], args);
        }
        break;
      case Op.Connect:
        new Endpoint(message[1] as MessagePort, this.target, this.keepAlive);
        break;
      default:
        this.target.control(message, this);
    }
  }
}

function transfersIn(value: unknown): Transferable[] {
  const transfers: Transferable[] = [];
  needsEncoding(value, transfers);
  return transfers;
}
