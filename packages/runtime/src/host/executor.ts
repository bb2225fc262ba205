import type { CallTarget, Endpoint } from '../client/endpoint.js';
import { flushReplies } from '../client/endpoint.js';
import {
  isSharedDescriptor,
  isSharedTypedArray,
  reviveShared,
  SharedPrimitive,
} from '../shared/primitive.js';
import { Op, READY_METHOD, type SharedFields, StatSlot } from '../wire/messages.js';

/** Results of sync calls wait for the end of a batch, but never longer than this (ms). */
const RESULT_SLICE_MS = 2;

type Method = (...args: unknown[]) => unknown;

enum State {
  Loading,
  AwaitingUnify,
  Serving,
  Failed,
  Draining,
}

/**
 * Runs an actor's calls inside its worker, never more than `limit` at a time, starting them in
 * arrival order. With limit 1 (serial actors, threaded replicas, async actors with
 * maxConcurrency 1) the next call starts only when the previous one has settled, even if it
 * returned a promise.
 */
export class Executor implements CallTarget {
  private state = State.Loading;
  private instance: object | undefined;
  private methods: (Method | undefined)[] = [];
  private initError: unknown;
  private sharedFields: SharedFields | undefined;
  /** Flat queue: endpoint, callId, methodId, args. */
  private queue: unknown[] = [];
  private head = 0;
  private running = 0;
  private readonly readyWaiters: [Endpoint, number][] = [];
  private mainEndpoint: Endpoint | undefined;
  /** Replica 0's shared fields, if they arrived before this replica was built. */
  private earlyUnify: SharedFields | undefined;

  constructor(
    readonly actorName: string,
    private readonly methodNames: readonly string[],
    private readonly limit: number,
    private readonly stats: Int32Array,
  ) {}

  /** No call is running (a started call counts until its promise settles). */
  get idle(): boolean {
    return this.running === 0;
  }

  /** The endpoint of the supervisor that owns this worker. */
  setMainEndpoint(endpoint: Endpoint): void {
    this.mainEndpoint = endpoint;
  }

  /** The instance is built; `awaitUnify` holds calls until replica 0's shared fields arrive. */
  start(instance: object, awaitUnify: boolean): void {
    this.instance = instance;
    this.methods = this.methodNames.map((name) => {
      const fn = (instance as Record<string, unknown>)[name];
      return typeof fn === 'function' ? (fn as Method) : undefined;
    });
    if (!awaitUnify) {
      this.sharedFields = sharedFieldsOf(instance);
      this.serve();
    } else if (this.earlyUnify) {
      this.unify(this.earlyUnify);
    } else {
      this.state = State.AwaitingUnify;
    }
  }

  failInit(error: unknown): void {
    this.initError = error;
    this.state = State.Failed;
    for (const [endpoint, callId] of this.readyWaiters) endpoint.fail(callId, error);
    this.readyWaiters.length = 0;
    this.drainQueue((endpoint, callId) => endpoint.fail(callId, error));
  }

  submit(endpoint: Endpoint, callId: number, methodId: number, args: unknown[]): void {
    if (methodId === READY_METHOD) {
      if (this.state === State.Serving || this.state === State.Draining) {
        endpoint.reply(callId, this.sharedFields);
      } else if (this.state === State.Failed) endpoint.fail(callId, this.initError);
      else this.readyWaiters.push([endpoint, callId]);
      return;
    }
    switch (this.state) {
      case State.Failed:
        endpoint.fail(callId, this.initError);
        return;
      case State.Draining:
        endpoint.drop(callId, this.dropMessage(methodId));
        return;
    }
    this.queue.push(endpoint, callId, methodId, args);
    this.stats[StatSlot.Queued]++;
    if (this.state === State.Serving) this.pump();
  }

  control(message: unknown[]): void {
    switch (message[0]) {
      case Op.Unify:
        if (this.state === State.AwaitingUnify) this.unify(message[1] as SharedFields);
        else if (this.state === State.Loading) this.earlyUnify = message[1] as SharedFields;
        return;
      case Op.Shutdown:
        this.beginDrain();
        return;
      case Op.Kill:
        flushReplies();
        process.exit(0);
    }
  }

  private unify(fields: SharedFields): void {
    adoptSharedFields(this.instance as object, fields);
    this.serve();
  }

  private serve(): void {
    this.state = State.Serving;
    for (const [endpoint, callId] of this.readyWaiters) endpoint.reply(callId, this.sharedFields);
    this.readyWaiters.length = 0;
    this.pump();
  }

  private pump(): void {
    // Read the clock only when a batch holds more than one call: a lone call flushes at once.
    let sliceStart = 0;
    while (this.running < this.limit && this.head < this.queue.length) {
      if (this.stats[StatSlot.ShutdownRequested] !== 0) {
        this.beginDrain();
        return;
      }
      const q = this.queue;
      const endpoint = q[this.head] as Endpoint;
      const callId = q[this.head + 1] as number;
      const methodId = q[this.head + 2] as number;
      const args = q[this.head + 3] as unknown[];
      q[this.head + 3] = undefined;
      this.head += 4;
      if (this.head === q.length) {
        this.queue = [];
        this.head = 0;
      }
      this.stats[StatSlot.Queued]--;
      this.run(endpoint, callId, methodId, args);
      if (this.head < this.queue.length) {
        if (sliceStart === 0) sliceStart = performance.now();
        else if (performance.now() - sliceStart > RESULT_SLICE_MS) {
          flushReplies();
          sliceStart = performance.now();
        }
      }
    }
  }

  private run(endpoint: Endpoint, callId: number, methodId: number, args: unknown[]): void {
    const fn = this.methods[methodId];
    if (fn === undefined) {
      endpoint.fail(
        callId,
        new TypeError(`Actor ${this.actorName} has no method with id ${methodId}.`),
      );
      return;
    }
    this.running++;
    this.stats[StatSlot.Running] = this.running;
    let result: unknown;
    try {
      result = fn.apply(this.instance, args);
    } catch (error) {
      this.settle(endpoint, callId, error, false);
      return;
    }
    if (typeof (result as PromiseLike<unknown>)?.then === 'function') {
      (result as PromiseLike<unknown>).then(
        (value) => this.settleAndPump(endpoint, callId, value, true),
        (error) => this.settleAndPump(endpoint, callId, error, false),
      );
    } else {
      this.settle(endpoint, callId, result, true);
    }
  }

  private settle(endpoint: Endpoint, callId: number, value: unknown, ok: boolean): void {
    this.running--;
    this.stats[StatSlot.Running] = this.running;
    if (ok) {
      this.stats[StatSlot.Done]++;
      endpoint.reply(callId, value);
    } else {
      this.stats[StatSlot.Failed]++;
      endpoint.fail(callId, value);
    }
    if (this.state === State.Draining && this.running === 0) this.finishDrain();
  }

  private settleAndPump(endpoint: Endpoint, callId: number, value: unknown, ok: boolean): void {
    this.settle(endpoint, callId, value, ok);
    if (this.state === State.Serving) this.pump();
  }

  private dropMessage(methodId: number): string {
    const method = this.methodNames[methodId] ?? `#${methodId}`;
    return `Actor ${this.actorName} was shut down before call '${method}' started; it did not run.`;
  }

  private drainQueue(each: (endpoint: Endpoint, callId: number, methodId: number) => void): void {
    const q = this.queue;
    for (let i = this.head; i < q.length; i += 4) {
      each(q[i] as Endpoint, q[i + 1] as number, q[i + 2] as number);
    }
    this.queue = [];
    this.head = 0;
    this.stats[StatSlot.Queued] = 0;
  }

  private beginDrain(): void {
    if (this.state === State.Draining) return;
    const wasFailed = this.state === State.Failed;
    this.state = State.Draining;
    this.drainQueue((endpoint, callId, methodId) =>
      endpoint.drop(callId, this.dropMessage(methodId)),
    );
    for (const [endpoint, callId] of this.readyWaiters) {
      if (wasFailed) endpoint.fail(callId, this.initError);
      else endpoint.drop(callId, `Actor ${this.actorName} was shut down before it was ready.`);
    }
    this.readyWaiters.length = 0;
    if (this.running === 0) this.finishDrain();
  }

  private finishDrain(): void {
    flushReplies();
    this.mainEndpoint?.post([Op.Drained]);
  }
}

/** Shared primitives replica 0 holds in its fields, to be shared by the other replicas. */
function sharedFieldsOf(instance: object): SharedFields | undefined {
  const fields: SharedFields = {};
  let found = false;
  for (const [key, value] of Object.entries(instance)) {
    if (value instanceof SharedPrimitive) fields[key] = value.describe();
    else if (isSharedTypedArray(value)) fields[key] = value;
    else continue;
    found = true;
  }
  return found ? fields : undefined;
}

function adoptSharedFields(instance: object, fields: SharedFields): void {
  const target = instance as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    target[key] = isSharedDescriptor(value) ? reviveShared(value) : value;
  }
}
