import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ActorDefinitionError, died, SerializationError } from '../errors.js';
import {
  appendCall,
  forEachCall,
  forEachResult,
  isEmpty,
  mapArgs,
  newCalls,
  oneCall,
  removeCall,
  targetOf,
} from '../wire/batch.js';
import {
  argsOf,
  closePorts,
  encodeDeep,
  findUncloneable,
  isDataCloneError,
  prepare,
} from '../wire/codec.js';
import {
  type ActorInfo,
  type CallsBatch,
  type DrainedMessage,
  type ExitingMessage,
  type Message,
  Op,
  READY_METHOD,
  Status,
  type ToHost,
  type Transferable,
} from '../wire/protocol.js';
import type { Transport } from '../wire/transport.js';
import { type Call, startCall } from './call.js';
import { PendingCalls } from './pending-calls.js';
import type { ActorRef } from './ref.js';

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
  private outbox = newCalls();
  private scheduled = false;
  private death: string | undefined;
  /** Why the actor is ending, where it said so before its link closed (`Op.Exiting`). */
  private endingReason: string | undefined;
  private readyPromise: Promise<void> | undefined;

  constructor(
    readonly transport: Transport,
    readonly info: ActorInfo,
    /** The owner learns of the end from the worker's exit, which says why; others from the link. */
    owner = false,
  ) {
    transport.listen(
      (message) => this.receive(message),
      owner ? undefined : () => this.die(this.endingReason ?? "the actor's thread ended"),
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
    call.conn = this;
    call.wireId = callId;
    appendCall(this.outbox, callId, targetOf(call.methodId, call.group, call.meta), call.args);
    call.sent();
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  cancel(call: Call, force: boolean): void {
    if (force) {
      throw new ActorDefinitionError(
        `cancel(call, { force: true }) on actor ${this.info.name}: force replaces the thread ` +
          `running the call, and a ${this.info.kind} actor's one thread holds all its state. ` +
          'Cancel without force (a running sync call then runs on to its end), or kill() the actor.',
      );
    }
    if (call.conn !== this) return;
    if (!removeCall(this.outbox, call.wireId)) this.post([Op.Cancel, call.wireId]);
    this.forget(call);
  }

  /**
   * Tells the actor to abort a call's signal (or drop it, if queued) while the call stays pending
   * here until the actor answers: a thread pool frees the thread only when the call really ends.
   */
  signalCancel(call: Call): void {
    if (call.conn === this) this.post([Op.Cancel, call.wireId]);
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
    this.post([Op.Connect, port1], [port1]);
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
  die(reason: string, started?: (call: Call) => boolean): void {
    if (this.death !== undefined) return;
    this.death = reason;
    this.onDeath?.();
    this.outbox = newCalls();
    const pending = this.pending.takeAll();
    this.transport.hold(false);
    for (const call of pending) {
      call.conn = undefined;
      call.reject(died.inFlight(this.info.name, call.method, reason, started?.(call)));
    }
    this.transport.close();
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
    const batch = this.outbox;
    if (isEmpty(batch)) return;
    this.outbox = newCalls();
    const transfers: Transferable[] = [];
    mapArgs(batch, (args) => prepare(args as unknown[], transfers));
    try {
      this.transport.post(batch, transfers);
    } catch (error) {
      closePorts(transfers);
      this.sendOneByOne(batch, error);
    }
  };

  /** A batch failed to clone: send each call alone, deeply encoded, to find the culprit. */
  private sendOneByOne(batch: CallsBatch, batchError: unknown): void {
    forEachCall(batch, (callId, target, sent) => {
      const args = argsOf(sent);
      const transfers: Transferable[] = [];
      try {
        this.transport.post(
          oneCall(callId, target, { encoded: encodeDeep(args, transfers) as unknown[] }),
          transfers,
        );
      } catch (error) {
        closePorts(transfers);
        const call = this.pending.get(callId);
        if (call === undefined) return;
        this.forget(call);
        call.reject(isDataCloneError(error) ? this.argumentError(call, args) : batchError);
      }
    });
  }

  private argumentError(call: Call, args: unknown[]): SerializationError {
    const bad = findUncloneable(args);
    const which = bad ? `argument ${bad.index}` : 'an argument';
    return new SerializationError(
      `Actor ${this.info.name}, method '${call.method}': ${which} cannot be sent to the actor's ` +
        `thread${bad ? ` (${bad.reason})` : ''}. Pass data that structured clone accepts: ` +
        'functions, symbols and objects holding them cannot cross threads (handles and shared ' +
        'primitives can).',
      this.info.name,
      call.method,
      bad?.index ?? 0,
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
    if (call === undefined) return;
    if (status === Status.Yield || status === Status.YieldEncoded) {
      call.answer(status, value);
      return;
    }
    this.pending.take(callId);
    call.conn = undefined;
    // The thread is freed first: an answer that sends the call again (a retry) queues it anew.
    this.onAnswered?.(call);
    call.answer(status, value);
  };
}
