import { ActorDefinitionError, EndReason, notStartedMessage } from '../errors.js';
import { groupOf, metaOf, methodOf } from '../wire/batch.js';
import { type Endpoint, flushReplies, replyFlushes, type Served } from '../wire/endpoint.js';
import {
  type CallMeta,
  type CallTarget,
  type ControlMessage,
  type HostInit,
  Op,
  READY_METHOD,
  type SharedFields,
  STARTED_GROUPS,
  StatSlot,
} from '../wire/protocol.js';
import {
  type CallRunner,
  type ChildCall,
  enterCall,
  leaveCall,
  runInCall,
} from './call-context.js';
import { WaitingCalls } from './call-queue.js';
import { CallOutcome, type CallWatch } from './call-watch.js';
import { DEFAULT_HOOK_TIMEOUT_MS, EXIT_GRACE_MS, runShutdownHook } from './drain.js';
import { adoptSharedFields, sharedFieldsOf } from './replica-fields.js';
import { asStream, StreamPump } from './streams.js';

/** Results of sync calls wait for the end of a batch, but never longer than this (ms). */
const RESULT_SLICE_MS = 2;

type Method = (...args: unknown[]) => unknown;

enum State {
  Loading,
  AwaitingUnify,
  Serving,
  Failed,
  /** Shutting down: queued calls were dropped, running ones finish, then the host drains. */
  Draining,
  /** Terminated (`Op.Terminate`): calls sent before run, later ones are dropped, then it drains. */
  Terminating,
  /** The actor called `exitActor()`: no call starts, and the host ends within the grace. */
  Exiting,
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
  /** Its `StatSlot.Started` slot: the owner's last call started in the group (-1: none). */
  readonly startedSlot: number;
  running: number;
  readonly queue: WaitingCalls<Endpoint, CallTarget>;
}

/** What an executor needs of its host, beyond the actor's description. */
export interface ExecutorInit
  extends Pick<
    HostInit,
    | 'name'
    | 'methods'
    | 'groupLimits'
    | 'methodGroups'
    | 'streamMethods'
    | 'refuseThenables'
    | 'fence'
  > {
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
/** A call whose method returned a promise, until it settles. */
interface AwaitedCall {
  settled: boolean;
  readonly group: Group;
  readonly endpoint: Endpoint;
  readonly callId: number;
  readonly methodId: number;
  readonly stamp: number;
  /** Why its result is refused (a thenable where no analysis decided the kind). */
  readonly refused: ActorDefinitionError | undefined;
}

export class Executor implements Served, CallRunner {
  readonly actorName: string;
  private state = State.Loading;
  private endReason: string = EndReason.ShutDown;
  private hookTimeoutMs = DEFAULT_HOOK_TIMEOUT_MS;
  private finishing = false;
  /** `Op.Terminate` came before the instance was built: it applies once it serves. */
  private terminateWhenServing = false;
  private instance: object | undefined;
  private methods: (Method | undefined)[] = [];
  private initError: unknown;
  private sharedFields: SharedFields | undefined;
  private readonly groups: Group[];
  private running = 0;
  private readonly readyWaiters: [Endpoint, number][] = [];
  private mainEndpoint: Endpoint | undefined;
  /** Every caller's endpoint, the owner's included, to tell them all when the actor ends. */
  private readonly endpoints = new Set<Endpoint>();
  /** Replica 0's shared fields, if they arrived before this replica was built. */
  private earlyUnify: SharedFields | undefined;
  /** Abort controllers of running calls that asked for `callSignal()`, by endpoint and call id. */
  private readonly controllers = new Map<Endpoint, Map<number, AbortController>>();
  /** Calls made by running calls, by endpoint and call id: cancelled with them (recursive). */
  private readonly children = new Map<Endpoint, Map<number, Set<ChildCall>>>();
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
    this.groups = init.groupLimits.map((limit, index) => ({
      limit,
      startedSlot: index < STARTED_GROUPS ? StatSlot.Started + index : -1,
      running: 0,
      queue: new WaitingCalls(),
    }));
  }

  /** No call is running (a started call counts until its promise settles). */
  get idle(): boolean {
    return this.running === 0;
  }

  opened(endpoint: Endpoint): void {
    this.endpoints.add(endpoint);
  }

  closed(endpoint: Endpoint): void {
    this.endpoints.delete(endpoint);
    // The owner's link closed: this host is over. Its callers' links go with it, whatever the
    // transport: a thread's end would close them, but a host in the owner's own process (or on
    // a network) must, or they hold that process open and callers wait on a host that is gone.
    if (endpoint === this.mainEndpoint) {
      for (const other of this.endpoints) other.transport.close();
    }
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
    // The constructor called exitActor() (and caught its signal): the instance only shuts down.
    if (this.state === State.Exiting) return;
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
    // The constructor called exitActor(): its signal is no failure, the actor is ending.
    if (this.state === State.Exiting) return;
    this.initError = error;
    this.state = State.Failed;
    for (const [endpoint, callId] of this.readyWaiters) endpoint.fail(callId, error);
    this.readyWaiters.length = 0;
    this.drainQueues((endpoint, callId) => endpoint.fail(callId, error));
  }

  submit(endpoint: Endpoint, callId: number, target: CallTarget, args: unknown[]): void {
    const methodId = methodOf(target);
    if (methodId === READY_METHOD) {
      if (
        this.state === State.Serving ||
        this.state === State.Draining ||
        this.state === State.Terminating
      ) {
        endpoint.reply(callId, this.sharedFields);
      } else if (this.state === State.Failed) endpoint.fail(callId, this.initError);
      else if (this.state === State.Exiting) endpoint.drop(callId, this.notReadyMessage());
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
      case State.Terminating:
      case State.Exiting:
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
    if (this.terminateWhenServing) {
      endpoint.drop(callId, this.dropMessage(methodId));
      return;
    }
    // A cancel does not look for it here: the compare-and-swap when its turn comes skips it.
    group.queue.push(endpoint, callId, target, args, this.watch === null ? 0 : performance.now());
    this.count(StatSlot.Queued, 1);
    if (this.state === State.Serving) this.pump(group);
  }

  control(message: ControlMessage, endpoint: Endpoint): void {
    switch (message[0]) {
      case Op.Cancel:
        for (let i = 1; i < message.length; i++) {
          const signed = message[i] as number;
          this.abort(endpoint, Math.abs(signed), signed > 0);
        }
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
        return;
      case Op.Exit:
        this.requestExit();
        return;
      case Op.Terminate:
        this.terminate();
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
      (endpoint as Endpoint).watching(callId);
    }
    return controller.signal;
  }

  /**
   * `exitActor()` (or `Op.Exit`, another thread of the actor called it): the actor ends now. No
   * call starts again: queued and later calls are dropped, and every call that settles from now
   * on, the one that called it included, answers that the actor ended while it ran. The owner is
   * told at once (it ends the host if the grace runs out); once the code that called
   * `exitActor()` has returned, `onShutdown()` runs within the grace, then the host exits (a
   * worker runs its `process.on('exit')` handlers).
   */
  requestExit(): void {
    if (this.state === State.Exiting) return;
    this.state = State.Exiting;
    this.endReason = EndReason.ExitActor;
    Atomics.store(this.stats, StatSlot.ExitRequested, 1);
    this.drainQueues((endpoint, callId, methodId) =>
      endpoint.drop(callId, this.dropMessage(methodId)),
    );
    for (const [endpoint, callId] of this.readyWaiters) {
      endpoint.drop(callId, this.notReadyMessage());
    }
    this.readyWaiters.length = 0;
    // The owner ends the host if the grace runs out; other callers learn why their link closes.
    for (const endpoint of this.endpoints) {
      endpoint.post([Op.Exiting, this.endReason, EXIT_GRACE_MS]);
    }
    setImmediate(() => this.finishExit());
  }

  /** `Op.Terminate`: run the calls already here, drop later ones, then drain. */
  private terminate(): void {
    switch (this.state) {
      case State.Serving:
        this.state = State.Terminating;
        this.endReason = EndReason.Terminated;
        this.settledWhileEnding();
        return;
      case State.Loading:
      case State.AwaitingUnify:
        this.terminateWhenServing = true;
        this.endReason = EndReason.Terminated;
        return;
      case State.Failed:
        this.beginDrain(EndReason.Terminated);
    }
  }

  /** `isCancelled()` inside a call: its caller's cancel, read from shared memory. */
  isCancelled(endpoint: unknown, callId: number): boolean {
    return (endpoint as Endpoint).isCancelled(callId);
  }

  /** The calls a running call has made so far, made on first use. */
  childrenOf(endpoint: unknown, callId: number): Set<ChildCall> {
    let byCall = this.children.get(endpoint as Endpoint);
    if (!byCall) {
      byCall = new Map();
      this.children.set(endpoint as Endpoint, byCall);
    }
    let set = byCall.get(callId);
    if (!set) {
      set = new Set();
      byCall.set(callId, set);
    }
    return set;
  }

  /**
   * A running call was cancelled (the caller's compare-and-swap already decided a queued one
   * never starts): its signal aborts, a stream stops, and the calls it made are cancelled too,
   * unless the cancel was not recursive.
   */
  private abort(endpoint: Endpoint, callId: number, recursive: boolean): void {
    this.streams.stop(endpoint, callId);
    this.controllers
      .get(endpoint)
      ?.get(callId)
      ?.abort(new Error(`call ${callId} on actor ${this.actorName} was cancelled`));
    if (!recursive || this.children.size === 0) return;
    const made = this.children.get(endpoint)?.get(callId);
    if (made === undefined) return;
    for (const child of [...made]) child.cancelAsChild();
  }

  /** Counters the supervisor reads for `listActors()`; only this thread writes them. */
  private count(slot: StatSlot, delta: number): void {
    this.stats[slot] = (this.stats[slot] as number) + delta;
  }

  private unify(fields: SharedFields): void {
    adoptSharedFields(this.instance as object, fields);
    this.serve();
  }

  private serve(): void {
    this.state = this.terminateWhenServing ? State.Terminating : State.Serving;
    for (const [endpoint, callId] of this.readyWaiters) endpoint.reply(callId, this.sharedFields);
    this.readyWaiters.length = 0;
    for (const group of this.groups) this.pump(group);
    if (this.state === State.Terminating) this.settledWhileEnding();
  }

  /** When the first call whose result is not yet sent started (performance.now()). */
  private sliceStart = 0;
  /** `replyFlushes()` when `sliceStart` was taken: a later flush starts a new slice. */
  private sliceFlush = -1;

  /**
   * Results are sent once per tick, so that a burst of calls is answered in one message. But a
   * thread running sync calls back to back (a serial actor's backlog, or a batch of calls run as
   * they arrive) yields no tick: its results are sent as soon as the calls run since the last
   * send took more than RESULT_SLICE_MS, so that no caller waits for the calls after its own.
   */
  private startSlice(): void {
    const flushes = replyFlushes();
    if (flushes === this.sliceFlush) return;
    this.sliceFlush = flushes;
    this.sliceStart = performance.now();
  }

  private endSlice(): void {
    if (performance.now() - this.sliceStart > RESULT_SLICE_MS) flushReplies();
  }

  private pump(group: Group): void {
    while (group.running < group.limit && group.queue.size > 0) {
      if (this.stats[StatSlot.ShutdownRequested] !== 0) {
        this.beginDrain();
        return;
      }
      const queue = group.queue;
      const endpoint = queue.endpoint;
      const callId = queue.callId;
      const target = queue.target;
      const args = queue.args;
      const queuedAt = queue.queuedAt;
      queue.shift();
      this.count(StatSlot.Queued, -1);
      this.run(
        group,
        endpoint,
        callId,
        methodOf(target),
        args,
        queuedAt,
        this.watch === null ? undefined : metaOf(target),
      );
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
    // A fenced host (a cluster node past its lease) starts nothing until the lease is renewed.
    if (this.init.fence !== undefined) awaitLease(this.init.fence);
    // Started or cancelled is decided here, once: a call its caller cancelled first never starts.
    if (!endpoint.begin(callId)) {
      this.watch?.ended(methodId, callId, 0, CallOutcome.Cancelled);
      return;
    }
    group.running++;
    this.running++;
    this.stats[StatSlot.Running] = this.running;
    if (endpoint === this.mainEndpoint && group.startedSlot >= 0) {
      this.stats[group.startedSlot] = callId;
    }
    let result: unknown;
    let stamp = 0;
    this.startSlice();
    enterCall(this, endpoint, callId);
    try {
      if (this.watch === null) result = runInCall(endpoint, callId, fn, this.instance, args);
      else {
        const watch = this.watch;
        stamp = watch.started(methodId, callId, queuedAt, meta);
        result = runInCall(endpoint, callId, watch.invoke as (...a: unknown[]) => unknown, watch, [
          fn,
          this.instance,
          args,
        ]);
      }
    } catch (error) {
      leaveCall();
      this.settle(group, endpoint, callId, error, false, methodId, stamp);
      this.endSlice();
      return;
    }
    leaveCall();
    if (typeof result !== 'object' || result === null) {
      this.settle(group, endpoint, callId, result, true, methodId, stamp);
      this.endSlice();
      return;
    }
    // A returned object may be hostile (a Proxy whose traps throw): looking at it fails the call.
    let then: unknown;
    try {
      if (result instanceof Promise) {
        // The common async case: a native promise's `then` is what it says.
        this.awaitResult(group, endpoint, callId, methodId, stamp, (ok, fail) =>
          result.then(ok, fail),
        );
        return;
      }
      const stream = this.streamMethods.has(methodId) ? asStream(result) : undefined;
      if (stream !== undefined) {
        endpoint.awaiting(callId, false);
        this.streams.start({ group, methodId, stamp }, endpoint, callId, stream);
        return;
      }
      then = (result as PromiseLike<unknown>).then;
    } catch {
      // Sending it fails the same way, as a result that cannot be sent (SerializationError).
      this.settle(group, endpoint, callId, result, true, methodId, stamp);
      this.endSlice();
      return;
    }
    if (typeof then !== 'function') {
      this.settle(group, endpoint, callId, result, true, methodId, stamp);
      this.endSlice();
      return;
    }
    this.awaitResult(group, endpoint, callId, methodId, stamp, (ok, fail) =>
      (then as PromiseLike<unknown>['then']).call(result, ok, fail),
    );
  }

  /**
   * Waits for a call's promise (or thenable) to settle, once whatever it does: held until then, as
   * the kind says, and refused then where the kind was not decided by the analysis.
   */
  private awaitResult(
    group: Group,
    endpoint: Endpoint,
    callId: number,
    methodId: number,
    stamp: number,
    subscribe: (ok: (value: unknown) => void, fail: (error: unknown) => void) => unknown,
  ): void {
    const refused = this.init.refuseThenables ? this.thenableRefusal(methodId) : undefined;
    // A cancel now waits for its answer if it watches its signal (its abort handling).
    endpoint.awaiting(
      callId,
      this.controllers.size > 0 && this.controllers.get(endpoint)?.has(callId) === true,
    );
    // The call's state rides in one object, not in a named closure: the runtime's bundle keeps
    // function names (error classes travel by name), which costs every named closure made per
    // call a property definition, measured as a sixth of an async actor's thread.
    const awaited: AwaitedCall = {
      settled: false,
      group,
      endpoint,
      callId,
      methodId,
      stamp,
      refused,
    };
    try {
      subscribe(
        (value) => this.awaited(awaited, value, true),
        (error) => this.awaited(awaited, error, false),
      );
    } catch (error) {
      this.awaited(awaited, error, false);
    }
  }

  /** An awaited call's promise settled: the first outcome counts. */
  private awaited(call: AwaitedCall, value: unknown, ok: boolean): void {
    if (call.settled) return;
    call.settled = true;
    const { refused } = call;
    this.settleAndPump(
      call.group,
      call.endpoint,
      call.callId,
      refused ?? value,
      ok && !refused,
      call.methodId,
      call.stamp,
    );
  }

  /**
   * A method returned a thenable on an actor whose kind no analysis decided: with the analysis it
   * would have made the actor async, so running it here would test another concurrency model.
   */
  private thenableRefusal(methodId: number): ActorDefinitionError {
    const method = this.init.methods[methodId] ?? `#${methodId}`;
    return new ActorDefinitionError(
      `${this.actorName}.${method} returned a promise, but it is not an async function and ` +
        'its class was built without the Troupe analysis, so its kind was read at run time as ' +
        'not async; with the analysis a method returning a promise makes the actor async. ' +
        `Mark it @method({ async: true }), make it an async function, or give @actor({ kind }); ` +
        'or build with the analysis (tspc with @troupe/transformer, tsc && troupe build, or the ' +
        '@troupe/transformer esbuild/vite plugins).',
    );
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
    if (this.controllers.size > 0) this.controllers.get(endpoint)?.delete(callId);
    if (this.state === State.Exiting) {
      // The actor ended itself: whatever the call returned or threw, it did not complete.
      this.watch?.ended(methodId, callId, stamp, CallOutcome.Threw);
      this.count(StatSlot.Failed, 1);
      endpoint.died(callId, this.endReason);
      return;
    }
    this.watch?.ended(methodId, callId, stamp, ok ? CallOutcome.Ok : CallOutcome.Threw);
    if (this.children.size > 0) this.forgetChildren(endpoint, callId);
    if (ok) {
      this.count(StatSlot.Done, 1);
      endpoint.reply(callId, value);
    } else {
      this.count(StatSlot.Failed, 1);
      endpoint.fail(callId, value);
    }
    if (this.state !== State.Serving) this.settledWhileEnding();
  }

  /** A call settled (or a terminate came) while the actor ends: drain once nothing is left. */
  private settledWhileEnding(): void {
    if (this.running !== 0) return;
    if (this.state === State.Draining) this.finishDrain();
    else if (this.state === State.Terminating && this.groups.every((g) => g.queue.size === 0)) {
      this.finishDrain();
    }
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
    if (this.state === State.Serving || this.state === State.Terminating) this.pump(group);
  }

  private notReadyMessage(): string {
    return `Actor ${this.actorName} ended (${this.endReason}) before it was ready.`;
  }

  private forgetChildren(endpoint: Endpoint, callId: number): void {
    const byCall = this.children.get(endpoint);
    if (byCall === undefined) return;
    byCall.delete(callId);
    if (byCall.size === 0) this.children.delete(endpoint);
  }

  private dropMessage(methodId: number): string {
    const method = this.init.methods[methodId] ?? `#${methodId}`;
    return notStartedMessage(this.actorName, method, this.endReason);
  }

  private drainQueues(each: (endpoint: Endpoint, callId: number, methodId: number) => void): void {
    for (const group of this.groups) {
      group.queue.drain((endpoint, callId, target) => each(endpoint, callId, methodOf(target)));
    }
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
    if (this.state === State.Draining || this.state === State.Exiting) return;
    const wasFailed = this.state === State.Failed;
    this.state = State.Draining;
    this.endReason = reason;
    this.hookTimeoutMs = hookTimeoutMs;
    this.drainQueues((endpoint, callId, methodId) => {
      endpoint.drop(callId, this.dropMessage(methodId));
      this.watch?.ended(methodId, callId, 0, CallOutcome.Dropped);
    });
    for (const [endpoint, callId] of this.readyWaiters) {
      if (wasFailed) endpoint.fail(callId, this.initError);
      else endpoint.drop(callId, this.notReadyMessage());
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

  /** Ends an actor that called `exitActor()`: `onShutdown()` within the grace, then the host. */
  private finishExit(): void {
    // A drain already running its onShutdown() ends the host itself.
    if (this.finishing) return;
    this.finishing = true;
    flushReplies();
    void runShutdownHook(this.instance, this.actorName, EXIT_GRACE_MS)
      .then(() => this.init.beforeDrained?.())
      .then(() => {
        flushReplies();
        this.init.exit();
      });
  }
}

/**
 * Blocks this thread while the lease in `fence` has lapsed (see `HostInit.fence`): the node
 * renews it (and wakes this thread), or ends the actor.
 */
function awaitLease(fence: BigInt64Array): void {
  let flushed = false;
  for (;;) {
    const until = Atomics.load(fence, 0);
    if (until === 0n || process.hrtime.bigint() < until) return;
    // The answers of the calls that ran within the lease go out before this thread blocks:
    // withheld, their callers would take them for lost (may have run).
    if (!flushed) flushReplies();
    flushed = true;
    Atomics.wait(fence, 0, until, 100);
  }
}
