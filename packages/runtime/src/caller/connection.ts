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
  prepare,
  reasonOf,
} from '../wire/codec.js';
import {
  type ActorInfo,
  type CallsBatch,
  type DrainedMessage,
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
  /** Called once when the connection dies (the registry forgets a name then). */
  onDeath: (() => void) | undefined;
  /** A sent call left this connection with its answer (a thread pool frees the thread then). */
  onAnswered: ((call: Call) => void) | undefined;

  private readonly pending = new PendingCalls<Call>();
  private outbox = newCalls();
  private scheduled = false;
  private death: string | undefined;
  private readyPromise: Promise<void> | undefined;

  constructor(
    readonly transport: Transport,
    readonly info: ActorInfo,
    /** The owner learns of the end from the worker's exit, which says why; others from the link. */
    owner = false,
  ) {
    transport.listen(
      (message) => this.receive(message),
      owner ? undefined : () => this.die("the actor's thread ended"),
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
    // A dead actor's handle passed on: its port arrives closed, so calls through it reject.
    if (this.death !== undefined) port1.close();
    else this.post([Op.Connect, port1], [port1]);
    return port2;
  }

  async kill(): Promise<void> {
    this.post([Op.Kill]);
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

  /** Rejects every pending call and every later one with `ActorDiedError`. */
  die(reason: string): void {
    if (this.death !== undefined) return;
    this.death = reason;
    this.onDeath?.();
    this.outbox = newCalls();
    for (const call of this.pending.takeAll()) {
      call.conn = undefined;
      call.reject(died.inFlight(this.info.name, call.method, reason));
    }
    this.transport.close();
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
  };

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
        this.failArgument(callId, findUncloneable(args) ?? { index: -1, reason: reasonOf(error) });
      }
    });
  }

  private failArgument(callId: number, bad: { index: number; reason: string }): void {
    const call = this.pending.get(callId);
    if (call === undefined) return;
    this.forget(call);
    // The call never reached the actor: a thread pool frees the thread it had chosen.
    this.onAnswered?.(call);
    const which = bad.index >= 0 ? `argument ${bad.index}` : 'an argument';
    call.reject(
      new SerializationError(
        `Actor ${this.info.name}, method '${call.method}': ${which} cannot be sent to the ` +
          `actor's thread (${bad.reason}). Pass data that structured clone accepts: functions, ` +
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
    call.answer(status, value);
    this.onAnswered?.(call);
  };
}
