import {
  appendResult,
  countOf,
  forEachCall,
  forEachResult,
  isEmpty,
  isFull,
  newResults,
  oneResult,
} from './batch.js';
import { CellChunks } from './cells.js';
import { closePorts, decodeArgs, encodeDeep, needsEncoding, reasonOf } from './codec.js';
import { serializeError } from './errors.js';
import {
  CallState,
  type CallTarget,
  CELL_MASK,
  type ControlMessage,
  type FromHost,
  isStreamItem,
  type Message,
  Op,
  type ResultsBatch,
  type SerializedError,
  type SerializedResultsMessage,
  Status,
  type Transferable,
} from './protocol.js';
import { deserializeCalls, movedBy, serializeResults } from './serialized.js';
import { PortTransport, type Transport } from './transport.js';

/** Whatever runs the calls an endpoint receives: an actor's executor, or a forwarder. */
export interface Served {
  /**
   * Runs or queues a call, and answers it through `endpoint.reply`, `fail` or `drop`. `target`
   * names the method, and the group or metadata where the call carries them.
   */
  submit(endpoint: Endpoint, callId: number, target: CallTarget, args: unknown[]): void;
  /** A message that is neither calls nor a connection (cancel, credit, shutdown, kill, unify). */
  control(message: ControlMessage, endpoint: Endpoint): void;
  /** A new endpoint serves it (its owner's, or another caller's over `Op.Connect`). */
  opened?(endpoint: Endpoint): void;
  /** An endpoint's link closed. */
  closed?(endpoint: Endpoint): void;
  /**
   * An item of a streaming call could not be sent: the call has failed with a
   * `SerializationError`, and the stream should stop (its generator's `return()` runs).
   */
  unsendable?(endpoint: Endpoint, callId: number): void;
}

const dirty: Endpoint[] = [];
let flushScheduled = false;
let flushes = 0;

/** How many times this thread's results were sent: a run of calls counts its time from the last. */
export function replyFlushes(): number {
  return flushes;
}

/** Sends every result waiting in any endpoint of this thread now. */
export function flushReplies(): void {
  flushes++;
  flushScheduled = false;
  for (let i = 0; i < dirty.length; i++) (dirty[i] as Endpoint).flush();
  dirty.length = 0;
}

/**
 * The serving side of one transport: decodes batches of calls for what it serves and sends the
 * results back, batched per tick like the calls.
 */
export class Endpoint {
  private outbox = newResults();
  private transfers: Transferable[] = [];
  /** What each result that moves something moves, by its index in the outbox (rarely any). */
  private moves: Map<number, Transferable[]> | undefined;
  private closed = false;
  /** The call-state cells its caller shares (`Op.CallCells`); none from other callers. */
  private readonly cells = new CellChunks();
  /** Its caller sent serialized calls (`Op.Serialized`): results go back serialized too. */
  private answersSerialized = false;

  constructor(
    readonly transport: Transport,
    private readonly served: Served,
    /** False where the endpoint must not keep its thread alive (the supervisor's side). */
    private readonly keepAlive = true,
  ) {
    transport.listen(
      (message) => this.receive(message),
      () => {
        this.closed = true;
        served.closed?.(this);
      },
    );
    if (keepAlive) transport.hold(true);
    served.opened?.(this);
  }

  /**
   * Claims a call before it starts: true if it may run (its cell now says `Running`), false if
   * its caller cancelled it first, in which case it must never start and is answered here.
   */
  begin(callId: number): boolean {
    const cells = this.cells.cellsOf(callId);
    if (cells === undefined) return true;
    const was = Atomics.compareExchange(
      cells,
      callId & CELL_MASK,
      CallState.Queued,
      CallState.Running,
    );
    if (was === CallState.Queued) return true;
    this.push(callId, Status.Cancelled, undefined);
    return false;
  }

  /**
   * The call's synchronous part returned a promise or a stream; `watched` if it asked for its
   * `callSignal()` (a cancel then waits for its answer), or it is forwarded to another thread.
   */
  awaiting(callId: number, watched: boolean): void {
    const cells = this.cells.cellsOf(callId);
    if (cells === undefined) return;
    if (watched) {
      // Watched since its synchronous part asked for its signal (or since it was forwarded).
      if (
        Atomics.compareExchange(
          cells,
          callId & CELL_MASK,
          CallState.RunningWatched,
          CallState.AwaitingWatched,
        ) === CallState.RunningWatched
      ) {
        return;
      }
      Atomics.compareExchange(
        cells,
        callId & CELL_MASK,
        CallState.Running,
        CallState.AwaitingWatched,
      );
    } else {
      Atomics.compareExchange(cells, callId & CELL_MASK, CallState.Running, CallState.Awaiting);
    }
  }

  /** The running call asked for its `callSignal()`: a cancel now waits for its abort handling. */
  watching(callId: number): void {
    const cells = this.cells.cellsOf(callId);
    if (cells === undefined) return;
    Atomics.compareExchange(cells, callId & CELL_MASK, CallState.Running, CallState.RunningWatched);
  }

  /** Whether the caller cancelled the call (read from shared memory: sync code sees it too). */
  isCancelled(callId: number): boolean {
    const cells = this.cells.cellsOf(callId);
    if (cells === undefined) return false;
    const state = Atomics.load(cells, callId & CELL_MASK);
    return (
      state === CallState.RunningCancelled ||
      state === CallState.AwaitingCancelled ||
      state === CallState.Cancelled
    );
  }

  reply(callId: number, value: unknown): void {
    if (this.cells.size > 0 && this.isCancelled(callId)) {
      this.push(callId, Status.Cancelled, undefined);
    } else if (typeof value !== 'object' || value === null) {
      this.push(callId, Status.Ok, value);
    } else {
      this.pushValue(callId, value, Status.Ok, Status.OkEncoded);
    }
  }

  /** An item of a streaming call; the call stays pending until `reply` or `fail`. */
  yield(callId: number, item: unknown): void {
    if (this.cells.size > 0 && this.isCancelled(callId)) return;
    if (typeof item !== 'object' || item === null) this.push(callId, Status.Yield, item);
    else this.pushValue(callId, item, Status.Yield, Status.YieldEncoded);
  }

  fail(callId: number, thrown: unknown): void {
    if (this.cells.size > 0 && this.isCancelled(callId)) {
      this.push(callId, Status.Cancelled, undefined);
    } else {
      this.push(callId, Status.Threw, serializeError(thrown));
    }
  }

  /** The call will never run (the actor is ending). */
  drop(callId: number, message: string): void {
    this.push(callId, Status.Dropped, message);
  }

  /** The call was running when the actor ended itself (`reason`): it may have run in part. */
  died(callId: number, reason: string): void {
    this.push(callId, Status.Died, reason);
  }

  /** Sends a message other than results, after every result so far. */
  post(message: FromHost): void {
    this.flush();
    if (!this.closed) this.transport.post(message);
  }

  flush(): void {
    const batch = this.outbox;
    if (isEmpty(batch)) return;
    const transfers = this.transfers;
    const moves = this.moves;
    this.outbox = newResults();
    this.transfers = [];
    this.moves = undefined;
    if (this.closed) return;
    if (this.answersSerialized && moves === undefined && transfers.length === 0) {
      let serialized: SerializedResultsMessage | undefined;
      try {
        serialized = serializeResults(batch);
      } catch {
        // Something the serializer refuses (a port, shared memory): sent as a batch below.
      }
      if (serialized !== undefined) {
        try {
          this.transport.post(serialized, movedBy(serialized));
          return;
        } catch {
          // As a batch below, which finds what is wrong result by result.
        }
      }
    }
    try {
      this.transport.post(batch, transfers);
    } catch {
      // Whatever the throw (an uncloneable value, a getter or Proxy trap that throws, nesting
      // too deep), the results go one by one and only the bad ones fail.
      this.sendOneByOne(batch, moves);
    }
  }

  /** An object result or item: encoded if it holds handles, its own transfers noted. */
  private pushValue(callId: number, value: object, plain: Status, encoded: Status): void {
    const transfers = this.transfers;
    const before = transfers.length;
    let status = plain;
    let sent: unknown = value;
    try {
      if (needsEncoding(value, transfers)) {
        transfers.length = before;
        sent = encodeDeep(value, transfers);
        status = encoded;
      }
    } catch (error) {
      closePorts(transfers.splice(before));
      this.push(callId, Status.NotCloneable, reasonOf(error));
      if (plain === Status.Yield) this.served.unsendable?.(this, callId);
      return;
    }
    if (transfers.length > before) {
      this.moves ??= new Map();
      this.moves.set(countOf(this.outbox), transfers.slice(before));
    }
    this.push(callId, status, sent);
  }

  private push(callId: number, status: Status, value: unknown): void {
    // Its final answer: this side is done with the call's cell.
    if (this.cells.size > 0 && !isStreamItem(status)) {
      this.cells.release(callId);
    }
    const wasEmpty = isEmpty(this.outbox);
    appendResult(this.outbox, callId, status, value);
    if (!wasEmpty) {
      // A long run of answers in one tick leaves in batches of bounded size, as calls do.
      if (isFull(this.outbox)) this.flush();
      return;
    }
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flushReplies);
    }
  }

  /**
   * A batch of results could not be sent: send each alone. A result that cannot be sent fails its
   * call with the reason; an item that cannot be sent fails its stream (the items after it are
   * not sent) and the generator is stopped.
   */
  private sendOneByOne(batch: ResultsBatch, moves: Map<number, Transferable[]> | undefined): void {
    let index = 0;
    let failedStreams: Set<number> | undefined;
    forEachResult(batch, (callId, status, value) => {
      const transfers = moves?.get(index++) ?? [];
      if (failedStreams?.has(callId)) {
        closePorts(transfers);
        return;
      }
      try {
        this.transport.post(oneResult(callId, status, value), transfers);
        return;
      } catch (error) {
        closePorts(transfers);
        // A handle or shared primitive nested deeper than the top level: encode it all.
        if (
          (status === Status.Ok || status === Status.Yield) &&
          this.postEncoded(callId, status, value)
        ) {
          return;
        }
        const reason = reasonOf(error);
        if (isStreamItem(status)) {
          failedStreams ??= new Set();
          failedStreams.add(callId);
          this.postQuietly(oneResult(callId, Status.NotCloneable, reason));
          this.served.unsendable?.(this, callId);
        } else if (status === Status.Threw) {
          this.postQuietly(oneResult(callId, Status.Threw, unsendableError(value, reason)));
        } else {
          this.postQuietly(oneResult(callId, Status.NotCloneable, reason));
        }
      }
    });
  }

  /** Sends a result deeply encoded; false if it still cannot be sent. */
  private postEncoded(callId: number, status: Status, value: unknown): boolean {
    const transfers: Transferable[] = [];
    try {
      const encoded = encodeDeep(value, transfers);
      const sent = status === Status.Ok ? Status.OkEncoded : Status.YieldEncoded;
      this.transport.post(oneResult(callId, sent, encoded), transfers);
      return true;
    } catch {
      closePorts(transfers);
      return false;
    }
  }

  private postQuietly(message: ResultsBatch): void {
    try {
      this.transport.post(message);
    } catch {
      // A result made of strings alone: only a link that is gone refuses it.
    }
  }

  private receive(message: Message): void {
    switch (message[0]) {
      case Op.Calls:
        forEachCall(message, (callId, target, sent) => {
          let args: unknown[];
          try {
            args = decodeArgs(sent);
          } catch (error) {
            this.fail(callId, error);
            return;
          }
          this.served.submit(this, callId, target, args);
        });
        break;
      case Op.Connect:
        new Endpoint(new PortTransport(message[1]), this.served, this.keepAlive);
        break;
      case Op.CallCells:
        this.cells.add(message[1], message[2]);
        break;
      case Op.Serialized:
        // Calls a relay passed on as their caller wrote them (results from here are answered).
        if (message.length === 2) {
          this.answersSerialized = true;
          this.receive(deserializeCalls(message));
        }
        break;
      case Op.Results:
      case Op.Drained:
      case Op.Exiting:
        // Only a host sends these; an endpoint never asked for them.
        break;
      default:
        this.served.control(message, this);
    }
  }
}

/** A thrown value's form when even its serialized form could not be sent: strings alone. */
export function unsendableError(value: unknown, reason: string): SerializedError {
  const s = value as Partial<SerializedError> | undefined;
  const text = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);
  return {
    isError: true,
    name: text(s?.name, 'Error'),
    message: `${text(s?.message, '')} (the thrown value could not be sent whole: ${reason})`,
    stack: text(s?.stack, ''),
  };
}
