import { EndReason, notStartedMessage } from '../errors.js';
import { groupOf, metaOf, methodOf } from '../wire/batch.js';
import { type Endpoint, flushReplies, type Served } from '../wire/endpoint.js';
import {
  type CallMeta,
  type CallTarget,
  type ControlMessage,
  type HostInit,
  Op,
  READY_METHOD,
  type SharedFields,
  StatSlot,
} from '../wire/protocol.js';
import { type CallRunner, enterCall, leaveCall } from './call-context.js';
import { CallQueue, type Queued } from './call-queue.js';
import { CallOutcome, type CallWatch } from './call-watch.js';
import { DEFAULT_HOOK_TIMEOUT_MS, runShutdownHook } from './drain.js';
import { adoptSharedFields, sharedFieldsOf } from './replica-fields.js';
import { isAsyncIterator, StreamPump } from './streams.js';

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

/** A call waiting in its group's queue. */
interface QueuedCall extends Queued {
  readonly endpoint: Endpoint;
  readonly callId: number;
  readonly methodId: number;
  readonly args: unknown[];
  /** When it was queued and what it carries, where a watch observes calls (else 0, undefined). */
  readonly queuedAt: number;
  readonly meta: CallMeta | undefined;
}

/** A running streaming call: what its end needs to settle it. */
interface Streaming {
  readonly group: Group;
  readonly methodId: number;
  readonly stamp: number;
}

/** One concurrency group: its own queue and its own limit on calls running at once. */
interface Group {
  readonly limit: number;
  running: number;
  readonly queue: CallQueue<QueuedCall>;
}

/** What an executor needs of its host, beyond the actor's description. */
export interface ExecutorInit
  extends Pick<HostInit, 'name' | 'methods' | 'groupLimits' | 'methodGroups' | 'streamMethods'> {
  stats: Int32Array;
  /** Ends the actor's host at once (`Op.Kill`). */
  exit(): void;
  /** Runs after the actor drained, before the supervisor is told (a worker flushes its output). */
  beforeDrained?: () => Promise<void>;
  /** Observes the calls (metrics, timeline, tracing), where this process asks for it. */
  watch?: CallWatch | undefined;
}

/**
 * Runs an actor's calls inside its host: in each concurrency group, never more than the group's
 * limit at a time, starting them in arrival order. With limit 1 (serial actors, threaded
 * replicas, async actors with maxConcurrency 1) the next call starts only when the previous one
 * has settled, even if it returned a promise.
 */
export class Executor implements Served, CallRunner {
  readonly actorName: string;
  private state = State.Loading;
  private endReason: string = EndReason.ShutDown;
  private hookTimeoutMs = DEFAULT_HOOK_TIMEOUT_MS;
  private finishing = false;
  private instance: object | undefined;
  private methods: (Method | undefined)[] = [];
  private initError: unknown;
  private sharedFields: SharedFields | undefined;
  private readonly groups: Group[];
  private running = 0;
  private readonly readyWaiters: [Endpoint, number][] = [];
  private mainEndpoint: Endpoint | undefined;
  /** Replica 0's shared fields, if they arrived before this replica was built. */
  private earlyUnify: SharedFields | undefined;
  /** Abort controllers of running calls that asked for `callSignal()`, by endpoint and call id. */
  private readonly controllers = new Map<Endpoint, Map<number, AbortController>>();
  /** Queued calls by endpoint and call id, so that a cancel finds one at once. */
  private readonly queued = new Map<Endpoint, Map<number, QueuedCall>>();
  private readonly streamMethods: Set<number>;
  private readonly streams = new StreamPump<Streaming>((running, endpoint, callId, value, ok) =>
    this.settleAndPump(running.group, endpoint, callId, value, ok, running.methodId, running.stamp),
  );
  private readonly stats: Int32Array;
  private readonly watch: CallWatch | null;

  constructor(private readonly init: ExecutorInit) {
    this.actorName = init.name;
    this.stats = init.stats;
    this.watch = init.watch ?? null;
    this.streamMethods = new Set(init.streamMethods);
    this.groups = init.groupLimits.map((limit) => ({ limit, running: 0, queue: new CallQueue() }));
  }

  /** No call is running (a started call counts until its promise settles). */
  get idle(): boolean {
    return this.running === 0;
  }

  /** The endpoint of the supervisor that owns this host. */
  setMainEndpoint(endpoint: Endpoint): void {
    this.mainEndpoint = endpoint;
  }

  /** The instance is built; `awaitUnify` holds calls until replica 0's shared fields arrive. */
  start(instance: object, awaitUnify: boolean): void {
    this.instance = instance;
    this.methods = this.init.methods.map((name) => {
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
    this.drainQueues((call) => call.endpoint.fail(call.callId, error));
  }

  submit(endpoint: Endpoint, callId: number, target: CallTarget, args: unknown[]): void {
    const methodId = methodOf(target);
    if (methodId === READY_METHOD) {
      if (this.state === State.Serving || this.state === State.Draining) {
        endpoint.reply(callId, this.sharedFields);
      } else if (this.state === State.Failed) endpoint.fail(callId, this.initError);
      else this.readyWaiters.push([endpoint, callId]);
      return;
    }
    // A worker busy with a blocking call reads the shutdown message late: the flag comes first.
    if (this.state === State.Serving && this.stats[StatSlot.ShutdownRequested] !== 0) {
      this.beginDrain();
    }
    switch (this.state) {
      case State.Failed:
        endpoint.fail(callId, this.initError);
        return;
      case State.Draining:
        endpoint.drop(callId, this.dropMessage(methodId));
        return;
    }
    // A thread pool's replica has one group whatever group the call asked the pool for.
    const group = (this.groups[groupOf(target) ?? this.init.methodGroups[methodId] ?? 0] ??
      this.groups[0]) as Group;
    if (this.state === State.Serving && group.running < group.limit && group.queue.size === 0) {
      this.run(
        group,
        endpoint,
        callId,
        methodId,
        args,
        0,
        this.watch === null ? undefined : metaOf(target),
      );
      return;
    }
    const call: QueuedCall = {
      endpoint,
      callId,
      methodId,
      args,
      queuedAt: this.watch === null ? 0 : performance.now(),
      meta: this.watch === null ? undefined : metaOf(target),
      prev: undefined,
      next: undefined,
      queue: undefined,
    };
    group.queue.push(call);
    let byCall = this.queued.get(endpoint);
    if (!byCall) {
      byCall = new Map();
      this.queued.set(endpoint, byCall);
    }
    byCall.set(callId, call);
    this.count(StatSlot.Queued, 1);
    if (this.state === State.Serving) this.pump(group);
  }

  control(message: ControlMessage, endpoint: Endpoint): void {
    switch (message[0]) {
      case Op.Cancel:
        this.cancel(endpoint, message[1]);
        return;
      case Op.StreamCredit:
        this.streams.credit(endpoint, message[1], message[2]);
        return;
      case Op.Unify:
        if (this.state === State.AwaitingUnify) this.unify(message[1]);
        else if (this.state === State.Loading) this.earlyUnify = message[1];
        return;
      case Op.Shutdown:
        this.beginDrain(EndReason.ShutDown, message[1]);
        return;
      case Op.Kill:
        flushReplies();
        this.init.exit();
    }
  }

  /** An item of a streaming call could not be sent (its call failed): stop the generator. */
  unsendable(endpoint: Endpoint, callId: number): void {
    this.streams.stop(endpoint, callId);
  }

  /** `callSignal()` inside a call: its controller, made on first use. */
  signalFor(endpoint: unknown, callId: number): AbortSignal {
    let byCall = this.controllers.get(endpoint as Endpoint);
    if (!byCall) {
      byCall = new Map();
      this.controllers.set(endpoint as Endpoint, byCall);
    }
    let controller = byCall.get(callId);
    if (!controller) {
      controller = new AbortController();
      byCall.set(callId, controller);
    }
    return controller.signal;
  }

  /** Asked from inside a call (`exitActor()`): end once the running calls are done. */
  requestExit(): void {
    this.beginDrain(EndReason.ExitActor);
  }

  /** A cancelled call never starts if still queued; if running, its signal aborts. */
  private cancel(endpoint: Endpoint, callId: number): void {
    const queued = this.queued.get(endpoint)?.get(callId);
    if (queued) {
      (queued.queue as CallQueue<QueuedCall>).remove(queued);
      this.forgetQueued(queued);
      this.count(StatSlot.Queued, -1);
      this.watch?.ended(queued.methodId, callId, 0, CallOutcome.Cancelled);
      return;
    }
    this.streams.stop(endpoint, callId);
    this.controllers
      .get(endpoint)
      ?.get(callId)
      ?.abort(new Error(`call ${callId} on actor ${this.actorName} was cancelled`));
  }

  /** Counters the supervisor reads for `listActors()`; only this thread writes them. */
  private count(slot: StatSlot, delta: number): void {
    this.stats[slot] = (this.stats[slot] as number) + delta;
  }

  private forgetQueued(call: QueuedCall): void {
    const byCall = this.queued.get(call.endpoint);
    if (byCall === undefined) return;
    byCall.delete(call.callId);
    if (byCall.size === 0) this.queued.delete(call.endpoint);
  }

  private unify(fields: SharedFields): void {
    adoptSharedFields(this.instance as object, fields);
    this.serve();
  }

  private serve(): void {
    this.state = State.Serving;
    for (const [endpoint, callId] of this.readyWaiters) endpoint.reply(callId, this.sharedFields);
    this.readyWaiters.length = 0;
    for (const group of this.groups) this.pump(group);
  }

  private pump(group: Group): void {
    // Read the clock only when a batch holds more than one call: a lone call flushes at once.
    let sliceStart = 0;
    while (group.running < group.limit && group.queue.size > 0) {
      if (this.stats[StatSlot.ShutdownRequested] !== 0) {
        this.beginDrain();
        return;
      }
      const call = group.queue.shift() as QueuedCall;
      this.forgetQueued(call);
      this.count(StatSlot.Queued, -1);
      this.run(
        group,
        call.endpoint,
        call.callId,
        call.methodId,
        call.args,
        call.queuedAt,
        call.meta,
      );
      if (group.queue.size > 0) {
        if (sliceStart === 0) sliceStart = performance.now();
        else if (performance.now() - sliceStart > RESULT_SLICE_MS) {
          flushReplies();
          sliceStart = performance.now();
        }
      }
    }
  }

  private run(
    group: Group,
    endpoint: Endpoint,
    callId: number,
    methodId: number,
    args: unknown[],
    queuedAt: number,
    meta: CallMeta | undefined,
  ): void {
    const fn = this.methods[methodId];
    if (fn === undefined) {
      endpoint.fail(
        callId,
        new TypeError(`Actor ${this.actorName} has no method with id ${methodId}.`),
      );
      return;
    }
    group.running++;
    this.running++;
    this.stats[StatSlot.Running] = this.running;
    if (group.limit === 1 && endpoint === this.mainEndpoint)
      this.stats[StatSlot.RunningCall] = callId;
    let result: unknown;
    let stamp = 0;
    enterCall(this, endpoint, callId);
    try {
      if (this.watch === null) result = fn.apply(this.instance, args);
      else {
        stamp = this.watch.started(methodId, callId, queuedAt, meta);
        result = this.watch.invoke(fn, this.instance as object, args);
      }
    } catch (error) {
      leaveCall();
      this.settle(group, endpoint, callId, error, false, methodId, stamp);
      return;
    }
    leaveCall();
    if (typeof result !== 'object' || result === null) {
      this.settle(group, endpoint, callId, result, true, methodId, stamp);
      return;
    }
    // A returned object may be hostile (a Proxy whose traps throw): looking at it fails the call.
    let then: unknown;
    try {
      if (result instanceof Promise) {
        // The common async case: a native promise's `then` is what it says.
        result.then(
          (value) => this.settleAndPump(group, endpoint, callId, value, true, methodId, stamp),
          (error) => this.settleAndPump(group, endpoint, callId, error, false, methodId, stamp),
        );
        return;
      }
      if (this.streamMethods.has(methodId) && isAsyncIterator(result)) {
        this.streams.start({ group, methodId, stamp }, endpoint, callId, result);
        return;
      }
      then = (result as PromiseLike<unknown>).then;
    } catch {
      // Sending it fails the same way, as a result that cannot be sent (SerializationError).
      this.settle(group, endpoint, callId, result, true, methodId, stamp);
      return;
    }
    if (typeof then !== 'function') {
      this.settle(group, endpoint, callId, result, true, methodId, stamp);
      return;
    }
    let settled = false;
    const done = (value: unknown, ok: boolean) => {
      if (settled) return;
      settled = true;
      this.settleAndPump(group, endpoint, callId, value, ok, methodId, stamp);
    };
    try {
      then.call(
        result,
        (value: unknown) => done(value, true),
        (error: unknown) => done(error, false),
      );
    } catch (error) {
      done(error, false);
    }
  }

  private settle(
    group: Group,
    endpoint: Endpoint,
    callId: number,
    value: unknown,
    ok: boolean,
    methodId: number,
    stamp: number,
  ): void {
    group.running--;
    this.running--;
    this.stats[StatSlot.Running] = this.running;
    if (group.limit === 1 && endpoint === this.mainEndpoint) this.stats[StatSlot.RunningCall] = 0;
    if (this.controllers.size > 0) this.controllers.get(endpoint)?.delete(callId);
    this.watch?.ended(methodId, callId, stamp, ok ? CallOutcome.Ok : CallOutcome.Threw);
    if (ok) {
      this.count(StatSlot.Done, 1);
      endpoint.reply(callId, value);
    } else {
      this.count(StatSlot.Failed, 1);
      endpoint.fail(callId, value);
    }
    if (this.state === State.Draining && this.running === 0) this.finishDrain();
  }

  private settleAndPump(
    group: Group,
    endpoint: Endpoint,
    callId: number,
    value: unknown,
    ok: boolean,
    methodId: number,
    stamp: number,
  ): void {
    this.settle(group, endpoint, callId, value, ok, methodId, stamp);
    if (this.state === State.Serving) this.pump(group);
  }

  private dropMessage(methodId: number): string {
    const method = this.init.methods[methodId] ?? `#${methodId}`;
    return notStartedMessage(this.actorName, method, this.endReason);
  }

  private drainQueues(each: (call: QueuedCall) => void): void {
    for (const group of this.groups) group.queue.drain(each);
    this.queued.clear();
    this.stats[StatSlot.Queued] = 0;
  }

  /**
   * Ends the actor gracefully: calls not yet started are dropped, running calls finish, then
   * `onShutdown()` runs (bounded by `hookTimeoutMs`) and the supervisor is told why it ended.
   */
  private beginDrain(
    reason: string = EndReason.ShutDown,
    hookTimeoutMs = DEFAULT_HOOK_TIMEOUT_MS,
  ): void {
    if (this.state === State.Draining) return;
    const wasFailed = this.state === State.Failed;
    this.state = State.Draining;
    this.endReason = reason;
    this.hookTimeoutMs = hookTimeoutMs;
    this.drainQueues((call) => {
      call.endpoint.drop(call.callId, this.dropMessage(call.methodId));
      this.watch?.ended(call.methodId, call.callId, 0, CallOutcome.Dropped);
    });
    for (const [endpoint, callId] of this.readyWaiters) {
      if (wasFailed) endpoint.fail(callId, this.initError);
      else endpoint.drop(callId, `Actor ${this.actorName} ended (${reason}) before it was ready.`);
    }
    this.readyWaiters.length = 0;
    if (this.running === 0) this.finishDrain();
  }

  private finishDrain(): void {
    if (this.finishing) return;
    this.finishing = true;
    flushReplies();
    // The supervisor ends the host on Drained: first let the parent take what it printed.
    void runShutdownHook(this.instance, this.actorName, this.hookTimeoutMs)
      .then(() => this.init.beforeDrained?.())
      .then(() => this.mainEndpoint?.post([Op.Drained, this.endReason]));
  }
}
