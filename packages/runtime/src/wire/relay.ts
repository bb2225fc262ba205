import { appendCalls, forEachCall, forEachResult, isFull, methodOf } from './batch.js';
import { CellChunks } from './cells.js';
import {
  CallState,
  type CallsBatch,
  type CancelMessage,
  CELL_MASK,
  CELL_SHIFT,
  CELLS_PER_CHUNK,
  isStreamItem,
  Op,
  type ResultsBatch,
  type SerializedCallsMessage,
  type ToHost,
  type Transferable,
} from './protocol.js';
import { movedBy, serializedCalls } from './serialized.js';

/**
 * The caller's half of cancelling, for calls relayed to a host in this process on behalf of a
 * caller that shares no memory with it (a caller in another process, whose messages pass through
 * this thread unread): this side holds the calls' cells, as the caller would over a port, and
 * decides each cancel by the same compare-and-swap. A call cancelled before it started never
 * starts (the host skips it and answers `Status.Cancelled`); a running one is told to abort.
 * The caller, which sent its cancel as a message, waits for that answer.
 *
 * Every message for the host goes through `relay`, which posts it to the host in order: batches
 * of calls that arrive in one tick (one network read holds several) leave as one batch at the
 * end of the tick, as a caller's own calls would; the caller's `Op.Cancel` is decided here.
 * `answered` for each batch of results that comes back. When the link ends, `withdraw` takes
 * back the calls that had not started, so that they are known never to run.
 */
export class RelayedCalls {
  /** The calls' cells; calls sent and not answered for good are marked with their method. */
  private readonly cells = new CellChunks();
  /** The last chunk whose cells went to the host. */
  private openChunk = -1;

  /** Calls that arrived this tick, and what they move, sent at its end. */
  private outbox: CallsBatch | undefined;
  private transfers: Transferable[] | undefined;
  /**
   * The outbox as its caller wrote it, while it holds the calls of one message alone: sent as
   * those bytes. A second message in the tick joins the first as a batch, which is cloned: one
   * message to the host (and one answer back) rather than one for each.
   */
  private outboxBytes: SerializedCallsMessage | undefined;
  private scheduled = false;

  constructor(
    private readonly post: (message: ToHost, transfers?: readonly Transferable[]) => void,
  ) {}

  /**
   * Sends a message of the caller to the host, after every message relayed before it. `bytes`,
   * where given, are the message as the caller serialized it (a header, then the value): a batch
   * of calls that is alone in its tick then goes to the host as those bytes (`Op.Serialized`),
   * which this thread neither clones nor encodes again, and the host answers in kind.
   */
  relay(message: ToHost, transfers?: readonly Transferable[], bytes?: Uint8Array): void {
    if (message[0] === Op.Calls) {
      this.sent(message);
      const moves = transfers !== undefined && transfers.length > 0;
      if (this.outbox === undefined) {
        this.outbox = message;
        // Copied now: the bytes lie in a network read, which is not this thread's to keep.
        if (bytes !== undefined && !moves) this.outboxBytes = serializedCalls(bytes);
      } else {
        appendCalls(this.outbox, message);
        this.outboxBytes = undefined;
      }
      if (moves) {
        this.transfers ??= [];
        this.transfers.push(...transfers);
      }
      if (isFull(this.outbox)) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(this.flush);
      }
      return;
    }
    this.flush();
    if (message[0] === Op.Cancel) this.cancel(message);
    else this.post(message, transfers);
  }

  /** Sends the calls waiting for the end of the tick. */
  readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.outbox;
    if (batch === undefined) return;
    const transfers = this.transfers;
    const serialized = this.outboxBytes;
    this.outbox = undefined;
    this.transfers = undefined;
    this.outboxBytes = undefined;
    if (serialized !== undefined) this.post(serialized, movedBy(serialized));
    else this.post(batch, transfers);
  };

  /** A batch of calls is about to go to the host: the cells of its ids go first. */
  private sent(batch: CallsBatch): void {
    forEachCall(batch, (callId, target) => {
      const chunk = callId >> CELL_SHIFT;
      if (chunk !== this.openChunk && this.cells.cellsOf(callId) === undefined) {
        const cells = new Int32Array(new SharedArrayBuffer(CELLS_PER_CHUNK * 4));
        this.cells.add(chunk, cells);
        this.openChunk = chunk;
        this.post([Op.CallCells, chunk, cells]);
      }
      // Pending until answered for good, with its method (-1 is `ready()`): the mark is > 0.
      this.cells.mark(callId, methodOf(target) + 2);
    });
  }

  /** Results from the host: the cells of calls answered for good are done with here. */
  answered(batch: ResultsBatch): void {
    forEachResult(batch, (callId, status) => {
      if (isStreamItem(status)) return;
      this.cells.release(callId);
    });
  }

  /** Serialized results from the host (`Op.Serialized`): the ids of the calls answered for good. */
  answeredIds(ids: Float64Array): void {
    for (let i = 0; i < ids.length; i++) this.cells.release(ids[i] as number);
  }

  /**
   * The link ends (its host is gone, or the link is closed): every call still pending that had
   * not started is cancelled by its cell, so that it never starts; their call ids and methods.
   * The others had started (they may have run); all are forgotten here.
   */
  withdraw(): [callId: number, methodId: number][] {
    const unstarted: [number, number][] = [];
    for (const [callId, mark] of this.cells.marked()) {
      const cells = this.cells.cellsOf(callId);
      if (
        cells !== undefined &&
        Atomics.compareExchange(
          cells,
          callId & CELL_MASK,
          CallState.Queued,
          CallState.Cancelled,
        ) === CallState.Queued
      ) {
        unstarted.push([callId, mark - 2]);
      }
    }
    this.cells.unmarkAll();
    return unstarted;
  }

  /**
   * The caller's `Op.Cancel` (negative ids: not recursively): calls not started never will,
   * running ones are told to abort (one `Op.Cancel` to the host for them all).
   */
  private cancel(message: CancelMessage): void {
    const aborts: number[] = [];
    for (let i = 1; i < message.length; i++) {
      const signed = message[i] as number;
      const callId = Math.abs(signed);
      const cells = this.cells.cellsOf(callId);
      if (cells === undefined) {
        // Not sent here, or answered already: nothing to decide; the host is told anyway.
        aborts.push(signed);
        continue;
      }
      const cell = callId & CELL_MASK;
      for (;;) {
        const state = Atomics.load(cells, cell);
        let next: CallState;
        if (state === CallState.Queued) next = CallState.Cancelled;
        else if (state === CallState.Running || state === CallState.RunningWatched) {
          next = CallState.RunningCancelled;
        } else if (state === CallState.Awaiting || state === CallState.AwaitingWatched) {
          next = CallState.AwaitingCancelled;
        } else break;
        if (Atomics.compareExchange(cells, cell, state, next) !== state) continue;
        // Skipped by the host when its turn comes, which answers it `Status.Cancelled`.
        if (state !== CallState.Queued) aborts.push(signed);
        break;
      }
    }
    if (aborts.length > 0) this.post([Op.Cancel, ...aborts]);
  }
}
