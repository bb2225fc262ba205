import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ActorDefinitionError, died, SerializationError } from '../errors.js';
import {
  appendCall,
  forEachCall,
  forEachResult,
  isEmpty,
  isFull,
  mapArgs,
  newCalls,
  oneCall,
  targetOf,
} from '../wire/batch.js';
import { CellChunks } from '../wire/cells.js';
import {
  argsOf,
  closePorts,
  encodeDeep,
  findUncloneable,
  prepare,
  reasonOf,
} from '../wire/codec.js';
import {
  type ActorInfo,
  CallState,
  type CallsBatch,
  CELL_MASK,
  CELL_SHIFT,
  CELLS_PER_CHUNK,
  type DrainedMessage,
  type ExitingMessage,
  isStreamItem,
  type Message,
  Op,
  READY_METHOD,
  type Status,
  type ToHost,
  type Transferable,
} from '../wire/protocol.js';
import type { Transport } from '../wire/transport.js';
import { type Call, startCall } from './call.js';
import { PendingCalls } from './pending-calls.js';
import { type ActorRef, CancelOutcome } from './ref.js';

/**
 * The calling side of one transport to an actor's host. Calls are sent at once (the actor keeps
 * their order), and all calls made in one tick travel in one batch. The transport holds the
 * process open only while calls are pending.
 */
export class Connection implements ActorRef {
  /** The host ended gracefully (`Op.Drained`): its owner ends the worker. */
  onDrained: ((message: DrainedMessage) => void) | undefined;
  /** The actor called `exitActor()` (`Op.Exiting`): its owner ends it within the grace. */
  onExiting: ((message: ExitingMessage) => void) | undefined;
  /** Called once when the connection dies (the registry forgets a name then). */
  onDeath: (() => void) | undefined;
  /** A sent call left this connection with its answer (a thread pool frees the thread then). */
  onAnswered: ((call: Call) => void) | undefined;

  private readonly pending = new PendingCalls<Call>();
  /** The call-state cells this side shares with the host, and the chunk new ids open. */
  private readonly cells = new CellChunks();
  private openChunk = -1;
  /** Ids of calls cancelled before they started: done with once the host has skipped them. */
  private readonly skipped = new Set<number>();
  /** Ids to abort in the next `Op.Cancel` (negative: not recursively). */
  private aborts: number[] = [];
  /**
   * Calls that rejected when they were cancelled while running: their thread is still busy with
   * them until the host answers, but they no longer hold the process open.
   */
  private readonly detached = new Map<number, Call>();
  private outbox = newCalls();
  private scheduled = false;
  private death: string | undefined;
  /** Why the actor is ending, where it said so before its link closed (`Op.Exiting`). */
  private endingReason: string | undefined;
  private readyPromise: Promise<void> | undefined;
  /**
   * The host shares this side's memory (threads of one process): call-state cells decide
   * cancels. Over a transport that does not (another process), a cancel is a message, and the
   * call waits for the host's answer.
   */
  private readonly sharesMemory: boolean;
  /**
   * Calls keep their arguments until answered: the transport can tell a call that reached no host
   * (`reached`), and such a call is sent again, whatever its retries.
   */
  private readonly keepsArgs: boolean;

  constructor(
    readonly transport: Transport,
    readonly info: ActorInfo,
    /** The owner learns of the end from the worker's exit, which says why; others from the link. */
    owner = false,
  ) {
    this.sharesMemory = transport.sharesMemory !== false;
    this.keepsArgs = transport.reached !== undefined;
    transport.listen(
      (message) => this.receive(message),
      owner
        ? undefined
        : () => this.die(this.endingReason ?? "the actor's thread ended", this.unreached),
    );
  }

  /** Queues a call for the next batch under a new call id. */
  send(call: Call): void {
    if (this.death !== undefined) {
      call.reject(died.notSent(this.info.name, call.method, this.death));
      return;
    }
    if (this.pending.size === 0) this.transport.hold(true);
    const callId = this.pending.add(call);
    // Ids only grow: a new chunk of cells goes to the host before the first call that uses it.
    if (callId >> CELL_SHIFT !== this.openChunk && this.sharesMemory) {
      this.openCells(callId >> CELL_SHIFT);
    }
    call.conn = this;
    call.wireId = callId;
    appendCall(this.outbox, callId, targetOf(call.methodId, call.group, call.meta), call.args);
    call.sent(this.keepsArgs);
    if (isFull(this.outbox)) this.flushCalls();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** Opens the chunk of cells of the next ids; calls already in the outbox use earlier ones. */
  private openCells(chunk: number): void {
    const cells = new Int32Array(new SharedArrayBuffer(CELLS_PER_CHUNK * 4));
    this.cells.add(chunk, cells);
    this.openChunk = chunk;
    if (this.death === undefined) this.transport.post([Op.CallCells, chunk, cells]);
  }

  /**
   * Cancels a call sent on this link, deciding by one compare-and-swap on its cell whether it had
   * started: a call not started never will (the host skips it); a running one is told to abort.
   */
  cancel(call: Call, force: boolean, recursive: boolean): CancelOutcome {
    if (force) {
      throw new ActorDefinitionError(
        `cancel(call, { force: true }) on actor ${this.info.name}: force replaces the thread ` +
          `running the call, and a ${this.info.kind} actor's one thread holds all its state. ` +
          'Cancel without force (a running sync call then rejects at once and its result is ' +
          'dropped), or kill() the actor.',
      );
    }
    if (call.conn !== this) return CancelOutcome.NotStarted;
    const callId = call.wireId;
    if (!this.sharesMemory) {
      // The host decides whether it had started, and answers (a call it skips rejects with
      // CancelledError, one running sees its signal abort).
      this.abort(recursive ? callId : -callId);
      return CancelOutcome.Aborting;
    }
    const cells = this.cells.cellsOf(callId);
    if (cells === undefined) return CancelOutcome.NotStarted;
    const cell = callId & CELL_MASK;
    for (;;) {
      const state = Atomics.load(cells, cell);
      let next: CallState;
      switch (state) {
        case CallState.Queued:
          next = CallState.Cancelled;
          break;
        case CallState.Running:
        case CallState.RunningWatched:
          next = CallState.RunningCancelled;
          break;
        case CallState.Awaiting:
        case CallState.AwaitingWatched:
          next = CallState.AwaitingCancelled;
          break;
        default:
          return CancelOutcome.Stopped;
      }
      if (Atomics.compareExchange(cells, cell, state, next) !== state) continue;
      if (state === CallState.Queued) {
        // It never starts; its cell is done with once the host has skipped it.
        this.skipped.add(callId);
        this.forget(call);
        return CancelOutcome.Withdrawn;
      }
      this.abort(recursive ? callId : -callId);
      // It waits for the host's answer after its abort handling.
      if (state === CallState.AwaitingWatched || state === CallState.RunningWatched) {
        return CancelOutcome.Aborting;
      }
      // It rejects now, but its thread (a thread pool's) is free only once the host answers.
      this.forget(call);
      this.detached.set(callId, call);
      return CancelOutcome.Stopped;
    }
  }

  detach(call: Call): void {
    if (call.conn !== this || this.pending.get(call.wireId) !== call) return;
    this.forget(call);
    this.detached.set(call.wireId, call);
  }

  /** Asks the host to abort a running call (batched: one message a tick). */
  private abort(signedId: number): void {
    this.aborts.push(signedId);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** A streaming call's consumer can take `n` more items. */
  credit(call: Call, n: number): void {
    if (call.conn === this) this.post([Op.StreamCredit, call.wireId, n]);
  }

  /** The pending calls, in the order they were sent, taken away unsettled (a restart). */
  takePending(): Call[] {
    const taken = this.pending.takeAll();
    this.transport.hold(false);
    for (const call of taken) call.conn = undefined;
    return taken;
  }

  ready(): Promise<void> {
    this.readyPromise ??= startCall(this, READY_METHOD, []).promise.then(() => undefined);
    return this.readyPromise;
  }

  connect(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    // A dead actor's handle passed on: its port arrives closed, so calls through it reject.
    if (this.death !== undefined) port1.close();
    else this.post([Op.Connect, port1], [port1]);
    return port2;
  }

  async kill(): Promise<void> {
    this.post([Op.Kill]);
  }

  /** Asks the actor to end once the calls sent so far have run; later calls are dropped. */
  async terminate(): Promise<void> {
    this.post([Op.Terminate]);
  }

  /** Sends a control message after every call made so far. */
  post(message: ToHost, transfers: Transferable[] = []): void {
    if (this.death !== undefined) return;
    this.flush();
    this.transport.post(message, transfers);
  }

  get pendingCalls(): number {
    return this.pending.size;
  }

  get isDead(): boolean {
    return this.death !== undefined;
  }

  /**
   * Rejects every pending call and every later one with `ActorDiedError`. `started` tells, where
   * the owner can, whether a pending call had started (its `mayHaveRun`).
   */
  die(reason: string, started?: (call: Call) => boolean | undefined): void {
    if (this.death !== undefined) return;
    this.death = reason;
    this.onDeath?.();
    this.outbox = newCalls();
    this.aborts = [];
    const pending = this.pending.takeAll();
    this.transport.hold(false);
    for (const call of pending) {
      call.conn = undefined;
      call.reject(died.inFlight(this.info.name, call.method, reason, started?.(call)));
    }
    this.transport.close();
  }

  /** Calls whose message the transport knows reached no host: they did not start. */
  private readonly unreached = (call: Call): false | undefined =>
    this.transport.reached?.(call.wireId) === false ? false : undefined;

  /**
   * The pending calls with wire ids `first` to `last`, taken away unsettled, in their order: their
   * message reached no host (the transport's `reached`), so they are sent again.
   */
  takeRange(first: number, last: number): Call[] {
    const taken: Call[] = [];
    for (let id = first; id <= last; id++) {
      const call = this.pending.get(id);
      if (call === undefined) continue;
      this.forget(call);
      taken.push(call);
    }
    return taken;
  }

  /**
   * The host is gone: takes at once what it sent before it went (results of calls that finished
   * before a crash keep their results, and are not sent again).
   */
  takeLastMessages(): void {
    if (this.death === undefined) this.transport.drain?.();
  }

  private forget(call: Call): void {
    this.pending.take(call.wireId);
    call.conn = undefined;
    if (this.pending.size === 0) this.transport.hold(false);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    this.flushCalls();
    if (this.aborts.length > 0 && this.death === undefined) {
      const aborts = this.aborts;
      this.aborts = [];
      this.transport.post([Op.Cancel, ...aborts]);
    }
  };

  private flushCalls(): void {
    const batch = this.outbox;
    if (isEmpty(batch)) return;
    this.outbox = newCalls();
    const transfers: Transferable[] = [];
    // The common case costs one try around the whole batch; any throw (an uncloneable value, a
    // getter or a Proxy trap that throws, nesting too deep) sends the calls one by one, so that
    // the bad one fails alone.
    try {
      mapArgs(batch, (args) => prepare(args as unknown[], transfers));
      this.transport.post(batch, transfers);
    } catch {
      closePorts(transfers);
      this.sendOneByOne(batch);
    }
  }

  /** A batch could not be sent: send each call alone, deeply encoded, and fail the culprits. */
  private sendOneByOne(batch: CallsBatch): void {
    forEachCall(batch, (callId, target, sent) => {
      const args = argsOf(sent);
      const transfers: Transferable[] = [];
      const seen = new Map<object, unknown>();
      const encoded: unknown[] = [];
      for (let i = 0; i < args.length; i++) {
        try {
          encoded.push(encodeDeep(args[i], transfers, seen));
        } catch (error) {
          closePorts(transfers);
          this.failArgument(callId, { index: i, reason: reasonOf(error) });
          return;
        }
      }
      try {
        this.transport.post(oneCall(callId, target, { encoded }), transfers);
      } catch (error) {
        closePorts(transfers);
        this.failArgument(
          callId,
          findUncloneable(args) ?? { index: argumentIndexOf(error), reason: reasonOf(error) },
        );
      }
    });
  }

  private failArgument(callId: number, bad: { index: number; reason: string }): void {
    // Never sent: this side is done with its cell at once.
    this.skipped.delete(callId);
    this.cells.release(callId);
    const call = this.pending.get(callId);
    if (call === undefined) return;
    this.forget(call);
    // The call never reached the actor: a thread pool frees the thread it had chosen.
    this.onAnswered?.(call);
    const which = bad.index >= 0 ? `argument ${bad.index}` : 'an argument';
    const where = this.sharesMemory ? "the actor's thread" : "the actor's process";
    call.reject(
      new SerializationError(
        `Actor ${this.info.name}, method '${call.method}': ${which} cannot be sent to ` +
          `${where} (${bad.reason}). Pass data that structured clone accepts: functions, ` +
          'symbols, Proxies, objects whose getters throw and objects nested thousands deep ' +
          'cannot cross threads (handles and shared primitives can).',
        this.info.name,
        call.method,
        Math.max(bad.index, 0),
      ),
    );
  }

  private receive(message: Message): void {
    if (message[0] === Op.Results) {
      forEachResult(message, this.onResult);
      if (this.pending.size === 0) this.transport.hold(false);
    } else if (message[0] === Op.Drained) {
      this.onDrained?.(message);
    } else if (message[0] === Op.Exiting) {
      this.endingReason = message[1];
      this.onExiting?.(message);
    }
  }

  private readonly onResult = (callId: number, status: Status, value: unknown): void => {
    const call = this.pending.get(callId);
    if (call === undefined) {
      if (isStreamItem(status)) return;
      const detached = this.detached.get(callId);
      if (detached !== undefined) {
        // A call cancelled while running has ended: its cell, and its thread, are free.
        this.detached.delete(callId);
        this.cells.release(callId);
        this.onAnswered?.(detached);
      } else if (this.skipped.delete(callId)) {
        // A call cancelled before it started: the host skipped it (or dropped it).
        this.cells.release(callId);
      }
      return;
    }
    if (isStreamItem(status)) {
      call.answer(status, value);
      return;
    }
    this.pending.take(callId);
    this.cells.release(callId);
    call.conn = undefined;
    // The thread is freed first: an answer that sends the call again (a retry) queues it anew.
    this.onAnswered?.(call);
    call.answer(status, value);
    // Nothing here holds it now: a settled plain call's record may be reused.
    call.recycle();
  };
}

/** The argument a transport's refusal names (`argumentIndex` on its error), else -1. */
function argumentIndexOf(error: unknown): number {
  try {
    const index = (error as { argumentIndex?: unknown } | null)?.argumentIndex;
    return typeof index === 'number' && Number.isInteger(index) ? index : -1;
  } catch {
    return -1;
  }
}
