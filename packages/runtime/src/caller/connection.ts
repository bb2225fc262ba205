import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ActorDefinitionError, ActorDiedError, SerializationError } from '../errors.js';
import type { RetryPolicy } from '../options.js';
import {
  decodeDeep,
  encodeDeep,
  findUncloneable,
  isDataCloneError,
  prepare,
} from '../wire/codec.js';
import { reviveRemoteError } from '../wire/errors.js';
import type { Transferable } from '../wire/protocol.js';
import { Op, READY_METHOD, type SerializedError, Status } from '../wire/protocol.js';
import { trackRef, untrackRef } from './calls.js';
import { findErrorClass } from './error-classes.js';
import type { ActorInfo, ActorRef } from './ref.js';
import { RemoteStream } from './stream.js';

export interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** A streaming call's items, as they arrive. */
  onYield?: (item: unknown) => void;
  methodId: number;
  /** The promise the caller holds, to find the call again on `cancel(promise)`. */
  promise: Promise<unknown> | null;
  /** Kept only for a call that may be sent again: its arguments, group and sends left. */
  args: unknown[] | undefined;
  group: number | undefined;
  retry: { left: number; exceptions: boolean | readonly string[] } | undefined;
}

/** Whether a thrown error (as it crossed the thread) is one the call's policy retries on. */
function retriesOn(exceptions: boolean | readonly string[], error: SerializedError): boolean {
  return exceptions === true || (Array.isArray(exceptions) && exceptions.includes(error.name));
}

/**
 * The calling side of one MessagePort to an actor. Calls are sent at once (the actor keeps their
 * order), and all calls made in one tick travel in one message. The port keeps the process alive
 * only while calls are pending.
 */
// The connection carries its actor's info as its own fields (merged with the class below).
export interface PortConnection extends ActorInfo {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface only adds ActorInfo's fields, set in the constructor.
export class PortConnection implements ActorRef {
  /** Messages other than results (the owner listens for `Op.Drained`). */
  onControl: ((message: unknown[]) => void) | undefined;
  /** Called once when the connection dies (the registry forgets a name then). */
  onDeath: (() => void) | undefined;

  private nextCallId = 1;
  private readonly pending = new Map<number, Pending>();
  private outbox: unknown[] = [Op.Calls];
  private scheduled = false;
  private death: string | undefined;
  private readyPromise: Promise<void> | undefined;

  constructor(
    private readonly port: MessagePort,
    info: ActorInfo,
    /** The owner learns of the end from the worker's exit, which says why; others from the port. */
    owner = false,
  ) {
    Object.assign(this, info);
    trackRef(this);
    port.on('message', (message: unknown[]) => this.receive(message));
    if (!owner) port.on('close', () => this.die("the actor's thread ended"));
    port.unref();
  }

  call(methodId: number, args: unknown[], group?: number, policy?: RetryPolicy): Promise<unknown> {
    if (this.death !== undefined) return Promise.reject(this.deadError(methodId, false));
    let pending: Pending | undefined;
    const promise = new Promise((resolve, reject) => {
      pending = {
        resolve,
        reject,
        methodId,
        promise: null,
        args: undefined,
        group: undefined,
        retry: undefined,
      };
    });
    const p = pending as Pending;
    p.promise = promise;
    const retry = policy ?? this.retries[methodId];
    if (retry !== undefined && retry.maxTaskRetries !== 0) {
      p.args = args;
      p.group = group;
      p.retry = { left: retry.maxTaskRetries, exceptions: retry.retryExceptions };
    }
    this.send(p, args, group);
    return promise;
  }

  /** Queues a call for the next batch under a new call id. */
  private send(p: Pending, args: unknown[], group: number | undefined): void {
    const callId = this.nextCallId++;
    this.outbox.push(callId, group === undefined ? p.methodId : [p.methodId, group], args);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
    if (this.pending.size === 0) this.port.ref();
    this.pending.set(callId, p);
  }

  /** Sends a call again (here, or on a restarted actor's new connection), using up one retry. */
  retry(p: Pending): void {
    const retry = p.retry as NonNullable<Pending['retry']>;
    if (retry.left > 0) retry.left--;
    this.send(p, p.args as unknown[], p.group);
  }

  /** Whether a pending call may be sent again. */
  static canRetry(p: Pending): boolean {
    return p.retry !== undefined && p.retry.left !== 0 && p.onYield === undefined;
  }

  /** The pending calls, in the order they were made, taken away unsettled (a restart). */
  takePending(): [callId: number, call: Pending][] {
    const taken = [...this.pending];
    this.pending.clear();
    this.port.unref();
    return taken;
  }

  stream(methodId: number, args: unknown[]): RemoteStream {
    const callId = this.nextCallId;
    const stream = new RemoteStream(
      (n) => this.post([Op.StreamCredit, callId, n]),
      () => {
        if (this.pending.delete(callId) && this.pending.size === 0) this.port.unref();
        if (!this.unsend(callId)) this.post([Op.Cancel, callId]);
      },
    );
    const promise = this.call(methodId, args);
    const pending = this.pending.get(callId);
    if (pending) {
      pending.resolve = () => stream.end();
      pending.reject = (error) => stream.fail(error);
      pending.onYield = (item) => stream.push(item);
    } else {
      promise.catch((error) => stream.fail(error));
    }
    return stream;
  }

  cancelCall(
    promise: Promise<unknown>,
    makeError: (methodId: number) => Error,
    force = false,
  ): boolean {
    for (const [callId, p] of this.pending) {
      if (p.promise !== promise) continue;
      if (force) {
        throw new ActorDefinitionError(
          `cancel(call, { force: true }) on actor ${this.name}: force replaces the thread running ` +
            `the call, and a ${this.kind} actor's one thread holds all its state. Cancel without ` +
            'force (a running sync call then runs on to its end), or kill() the actor.',
        );
      }
      if (!this.unsend(callId)) this.post([Op.Cancel, callId]);
      this.settle(callId, (found) => found.reject(makeError(found.methodId)));
      return true;
    }
    return false;
  }

  /**
   * Tells the actor to abort a call's signal (or drop it, if queued) while the call stays pending
   * here until the actor answers: a thread pool frees the thread only when the call really ends.
   */
  signalCancel(promise: Promise<unknown>): void {
    for (const [callId, p] of this.pending) {
      if (p.promise === promise) {
        this.post([Op.Cancel, callId]);
        return;
      }
    }
  }

  /** Takes a call out of the batch not yet sent; false if it has left already. */
  private unsend(callId: number): boolean {
    for (let i = 1; i < this.outbox.length; i += 3) {
      if (this.outbox[i] === callId) {
        this.outbox.splice(i, 3);
        return true;
      }
    }
    return false;
  }

  ready(): Promise<void> {
    this.readyPromise ??= this.call(READY_METHOD, []).then(() => undefined);
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

  /** Sends a control message after every call made so far. */
  post(message: unknown[], transfers: Transferable[] = []): void {
    if (this.death !== undefined) return;
    this.flush();
    this.port.postMessage(message, transfers);
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
    untrackRef(this);
    this.onDeath?.();
    this.outbox = [Op.Calls];
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(this.deadError(p.methodId, true));
    this.port.close();
  }

  private methodName(methodId: number): string {
    return methodId === READY_METHOD ? 'ready' : (this.methods[methodId] ?? `#${methodId}`);
  }

  private deadError(methodId: number, wasPending: boolean): ActorDiedError {
    const call = `call '${this.methodName(methodId)}'`;
    const fate = wasPending
      ? `${call} did not complete: it may have run in part, or not at all`
      : `${call} was not sent`;
    return new ActorDiedError(`Actor ${this.name} is dead (${this.death}); ${fate}.`, this.name);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.outbox;
    if (batch.length === 1) return;
    this.outbox = [Op.Calls];
    const transfers: Transferable[] = [];
    for (let i = 3; i < batch.length; i += 3) {
      batch[i] = prepare(batch[i] as unknown[], transfers);
    }
    try {
      this.port.postMessage(batch, transfers);
    } catch (error) {
      closePorts(transfers);
      this.sendOneByOne(batch, error);
    }
  };

  /** A batch failed to clone: send each call alone, deeply encoded, to find the culprit. */
  private sendOneByOne(batch: unknown[], batchError: unknown): void {
    for (let i = 1; i < batch.length; i += 3) {
      const callId = batch[i] as number;
      const target = batch[i + 1] as number | [number, number];
      const methodId = typeof target === 'number' ? target : target[0];
      const sent = batch[i + 2];
      const args = Array.isArray(sent) ? sent : (sent as { encoded: unknown[] }).encoded;
      const transfers: Transferable[] = [];
      try {
        const encoded = { encoded: encodeDeep(args, transfers) };
        this.port.postMessage([Op.Calls, callId, target, encoded], transfers);
      } catch (error) {
        closePorts(transfers);
        this.settle(callId, (p) =>
          p.reject(isDataCloneError(error) ? this.argumentError(methodId, args) : batchError),
        );
      }
    }
  }

  private argumentError(methodId: number, args: unknown[]): SerializationError {
    const method = this.methodName(methodId);
    const bad = findUncloneable(args);
    const which = bad ? `argument ${bad.index}` : 'an argument';
    return new SerializationError(
      `Actor ${this.name}, method '${method}': ${which} cannot be sent to the actor's thread` +
        `${bad ? ` (${bad.reason})` : ''}. Pass data that structured clone accepts: functions, ` +
        'symbols and objects holding them cannot cross threads (handles and shared primitives can).',
      this.name,
      method,
      bad?.index ?? 0,
    );
  }

  private settle(callId: number, how: (p: Pending) => void): void {
    const p = this.pending.get(callId);
    if (p === undefined) return;
    this.pending.delete(callId);
    if (this.pending.size === 0) this.port.unref();
    how(p);
  }

  private receive(message: unknown[]): void {
    if (message[0] !== Op.Results) {
      this.onControl?.(message);
      return;
    }
    for (let i = 1; i < message.length; i += 3) {
      const p = this.pending.get(message[i] as number);
      if (p === undefined) continue;
      const status = message[i + 1] as Status;
      const value = message[i + 2];
      if (status === Status.Yield || status === Status.YieldEncoded) {
        p.onYield?.(status === Status.Yield ? value : decodeDeep(value));
        continue;
      }
      this.pending.delete(message[i] as number);
      switch (status) {
        case Status.Ok:
          p.resolve(value);
          break;
        case Status.OkEncoded:
          p.resolve(decodeDeep(value));
          break;
        case Status.Threw:
          if (
            PortConnection.canRetry(p) &&
            retriesOn(p.retry?.exceptions ?? false, value as SerializedError)
          ) {
            this.retry(p);
            break;
          }
          p.reject(this.remoteError(value as SerializedError, p.methodId));
          break;
        case Status.NotCloneable: {
          const method = this.methodName(p.methodId);
          const message =
            `Actor ${this.name}, method '${method}': its result cannot be sent back (${value}). ` +
            'Return data that structured clone accepts: functions, symbols and objects holding ' +
            'them cannot cross threads.';
          p.reject(new SerializationError(message, this.name, method, 'result'));
          break;
        }
        case Status.Dropped:
          p.reject(new ActorDiedError(value as string, this.name));
          break;
      }
    }
    if (this.pending.size === 0) this.port.unref();
  }

  private remoteError(error: SerializedError, methodId: number) {
    return reviveRemoteError(error, this.name, this.methodName(methodId), (cls) =>
      findErrorClass(cls, this.moduleUrl),
    );
  }
}

function closePorts(transfers: Transferable[]): void {
  for (const t of transfers) {
    if (typeof (t as MessagePort).close === 'function') (t as MessagePort).close();
  }
}
