import {
  isSharedDescriptor,
  isSharedTypedArray,
  reviveShared,
  SharedPrimitive,
} from '../shared/primitive.js';
import type { CallTarget, Endpoint } from '../wire/endpoint.js';
import { flushReplies } from '../wire/endpoint.js';
import { Op, READY_METHOD, type SharedFields, STREAM_WINDOW, StatSlot } from '../wire/protocol.js';
import { enterCall, leaveCall, type SignalSource } from './call-context.js';

/** How long `onShutdown()` may take when `shutdown()` gives no `timeoutMs` (ms). */
const DEFAULT_HOOK_TIMEOUT_MS = 5000;
/** How long an ending actor waits for its printed output to reach the parent (ms). */
const OUTPUT_FLUSH_MS = 1000;
/** Results of sync calls wait for the end of a batch, but never longer than this (ms). */
const RESULT_SLICE_MS = 2;
/** Slots of one queued call: endpoint, callId, methodId, args. */
const SLOTS = 4;

type Method = (...args: unknown[]) => unknown;

enum State {
  Loading,
  AwaitingUnify,
  Serving,
  Failed,
  Draining,
}

/** A streaming call in progress: items are pulled from the generator while credit lasts. */
interface Stream {
  group: Group;
  endpoint: Endpoint;
  callId: number;
  iterator: AsyncIterator<unknown>;
  credit: number;
  pulling: boolean;
  finished: boolean;
}

/** One concurrency group: its own queue and its own limit on calls running at once. */
interface Group {
  readonly limit: number;
  running: number;
  /** Flat queue of calls, SLOTS slots each, from `head` on. */
  queue: unknown[];
  head: number;
}

/**
 * Runs an actor's calls inside its worker: in each concurrency group, never more than the
 * group's limit at a time, starting them in arrival order. With limit 1 (serial actors, threaded
 * replicas, async actors with maxConcurrency 1) the next call starts only when the previous one
 * has settled, even if it returned a promise.
 */
export class Executor implements CallTarget, SignalSource {
  private state = State.Loading;
  private drainReason = 'it was shut down';
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
  private readonly streamMethods: Set<number>;
  /** Streaming calls in progress, by endpoint and call id. */
  private readonly streams = new Map<Endpoint, Map<number, Stream>>();

  constructor(
    readonly actorName: string,
    private readonly methodNames: readonly string[],
    groupLimits: readonly number[],
    private readonly methodGroups: readonly number[],
    streamMethods: readonly number[],
    private readonly stats: Int32Array,
  ) {
    this.streamMethods = new Set(streamMethods);
    this.groups = groupLimits.map((limit) => ({ limit, running: 0, queue: [], head: 0 }));
  }

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
    this.drainQueues((endpoint, callId) => endpoint.fail(callId, error));
  }

  submit(endpoint: Endpoint, callId: number, target: number | number[], args: unknown[]): void {
    const methodId = typeof target === 'number' ? target : target[0];
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
    const groupId = typeof target === 'number' ? (this.methodGroups[methodId] ?? 0) : target[1];
    const group = this.groups[groupId] ?? this.groups[0];
    group.queue.push(endpoint, callId, methodId, args);
    this.stats[StatSlot.Queued]++;
    if (this.state === State.Serving) this.pump(group);
  }

  control(message: unknown[], endpoint: Endpoint): void {
    switch (message[0]) {
      case Op.Cancel:
        this.cancel(endpoint, message[1] as number);
        return;
      case Op.StreamCredit: {
        const stream = this.streams.get(endpoint)?.get(message[1] as number);
        if (stream) {
          stream.credit += message[2] as number;
          void this.pull(stream);
        }
        return;
      }
      case Op.Unify:
        if (this.state === State.AwaitingUnify) this.unify(message[1] as SharedFields);
        else if (this.state === State.Loading) this.earlyUnify = message[1] as SharedFields;
        return;
      case Op.Shutdown:
        this.beginDrain('it was shut down', (message[1] as number | undefined) ?? undefined);
        return;
      case Op.Kill:
        flushReplies();
        process.exit(0);
    }
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

  /** A cancelled call never starts if still queued; if running, its signal aborts. */
  private cancel(endpoint: Endpoint, callId: number): void {
    for (const group of this.groups) {
      const q = group.queue;
      for (let i = group.head; i < q.length; i += SLOTS) {
        if (q[i] === endpoint && q[i + 1] === callId) {
          q.splice(i, SLOTS);
          this.stats[StatSlot.Queued]--;
          return;
        }
      }
    }
    const stream = this.streams.get(endpoint)?.get(callId);
    if (stream) {
      // The consumer stopped reading: end the generator (its finally blocks run), then the call.
      const ended = () => this.finishStream(stream, undefined, true);
      Promise.resolve(stream.iterator.return?.()).then(ended, ended);
    }
    this.controllers
      .get(endpoint)
      ?.get(callId)
      ?.abort(new Error(`call ${callId} on actor ${this.actorName} was cancelled`));
  }

  private startStream(group: Group, endpoint: Endpoint, callId: number, iterator: unknown): void {
    const stream: Stream = {
      group,
      endpoint,
      callId,
      iterator: iterator as AsyncIterator<unknown>,
      credit: STREAM_WINDOW,
      pulling: false,
      finished: false,
    };
    let byCall = this.streams.get(endpoint);
    if (!byCall) {
      byCall = new Map();
      this.streams.set(endpoint, byCall);
    }
    byCall.set(callId, stream);
    void this.pull(stream);
  }

  /** Sends items while the consumer has credit; the call ends with the generator. */
  private async pull(stream: Stream): Promise<void> {
    if (stream.pulling || stream.finished) return;
    stream.pulling = true;
    try {
      while (stream.credit > 0 && !stream.finished) {
        const step = await stream.iterator.next();
        if (stream.finished) return;
        if (step.done) {
          this.finishStream(stream, step.value, true);
          return;
        }
        stream.credit--;
        stream.endpoint.yield(stream.callId, step.value);
      }
    } catch (error) {
      this.finishStream(stream, error, false);
    } finally {
      stream.pulling = false;
    }
  }

  private finishStream(stream: Stream, value: unknown, ok: boolean): void {
    if (stream.finished) return;
    stream.finished = true;
    this.streams.get(stream.endpoint)?.delete(stream.callId);
    this.settleAndPump(stream.group, stream.endpoint, stream.callId, value, ok);
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
    while (group.running < group.limit && group.head < group.queue.length) {
      if (this.stats[StatSlot.ShutdownRequested] !== 0) {
        this.beginDrain();
        return;
      }
      const q = group.queue;
      const h = group.head;
      const endpoint = q[h] as Endpoint;
      const callId = q[h + 1] as number;
      const methodId = q[h + 2] as number;
      const args = q[h + 3] as unknown[];
      q[h + 3] = undefined;
      group.head = h + SLOTS;
      if (group.head === q.length) {
        group.queue = [];
        group.head = 0;
      }
      this.stats[StatSlot.Queued]--;
      this.run(group, endpoint, callId, methodId, args);
      if (group.head < group.queue.length) {
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
    enterCall(this, endpoint, callId);
    try {
      result = fn.apply(this.instance, args);
    } catch (error) {
      leaveCall();
      this.settle(group, endpoint, callId, error, false);
      return;
    }
    leaveCall();
    if (this.streamMethods.has(methodId) && isAsyncIterator(result)) {
      this.startStream(group, endpoint, callId, result);
    } else if (typeof (result as PromiseLike<unknown>)?.then === 'function') {
      (result as PromiseLike<unknown>).then(
        (value) => this.settleAndPump(group, endpoint, callId, value, true),
        (error) => this.settleAndPump(group, endpoint, callId, error, false),
      );
    } else {
      this.settle(group, endpoint, callId, result, true);
    }
  }

  private settle(
    group: Group,
    endpoint: Endpoint,
    callId: number,
    value: unknown,
    ok: boolean,
  ): void {
    group.running--;
    this.running--;
    this.stats[StatSlot.Running] = this.running;
    if (group.limit === 1 && endpoint === this.mainEndpoint) this.stats[StatSlot.RunningCall] = 0;
    if (this.controllers.size > 0) this.controllers.get(endpoint)?.delete(callId);
    if (ok) {
      this.stats[StatSlot.Done]++;
      endpoint.reply(callId, value);
    } else {
      this.stats[StatSlot.Failed]++;
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
  ): void {
    this.settle(group, endpoint, callId, value, ok);
    if (this.state === State.Serving) this.pump(group);
  }

  private dropMessage(methodId: number): string {
    const method = this.methodNames[methodId] ?? `#${methodId}`;
    return this.drainReason === 'it was shut down'
      ? `Actor ${this.actorName} was shut down before call '${method}' started; it did not run.`
      : `Actor ${this.actorName} ended (${this.drainReason}) before call '${method}' started; it did not run.`;
  }

  private drainQueues(each: (endpoint: Endpoint, callId: number, methodId: number) => void): void {
    for (const group of this.groups) {
      const q = group.queue;
      for (let i = group.head; i < q.length; i += SLOTS) {
        each(q[i] as Endpoint, q[i + 1] as number, q[i + 2] as number);
      }
      group.queue = [];
      group.head = 0;
    }
    this.stats[StatSlot.Queued] = 0;
  }

  /**
   * Ends the actor gracefully: calls not yet started are dropped, running calls finish, then
   * `onShutdown()` runs (bounded by `hookTimeoutMs`) and the supervisor is told why it ended.
   */
  private beginDrain(reason = 'it was shut down', hookTimeoutMs = DEFAULT_HOOK_TIMEOUT_MS): void {
    if (this.state === State.Draining) return;
    const wasFailed = this.state === State.Failed;
    this.state = State.Draining;
    this.drainReason = reason;
    this.hookTimeoutMs = hookTimeoutMs;
    this.drainQueues((endpoint, callId, methodId) =>
      endpoint.drop(callId, this.dropMessage(methodId)),
    );
    for (const [endpoint, callId] of this.readyWaiters) {
      if (wasFailed) endpoint.fail(callId, this.initError);
      else endpoint.drop(callId, `Actor ${this.actorName} ended (${reason}) before it was ready.`);
    }
    this.readyWaiters.length = 0;
    if (this.running === 0) this.finishDrain();
  }

  /** Asked from inside a call (`exitActor()`): end once the running calls are done. */
  requestExit(): void {
    this.beginDrain('it called exitActor()');
  }

  private finishDrain(): void {
    if (this.finishing) return;
    this.finishing = true;
    flushReplies();
    // The supervisor ends the thread on Drained: first let the parent take what it printed.
    const done = () =>
      void flushOutput().then(() => this.mainEndpoint?.post([Op.Drained, this.drainReason]));
    const hook = (this.instance as { onShutdown?: unknown } | undefined)?.onShutdown;
    if (typeof hook !== 'function') {
      done();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        console.error(
          `onShutdown() of actor ${this.actorName} did not finish within ${this.hookTimeoutMs} ms; ` +
            'the actor ends without waiting for it.',
        );
        resolve();
      }, this.hookTimeoutMs);
    });
    const run = (async () => hook.call(this.instance))().catch((error: unknown) => {
      console.error(`onShutdown() of actor ${this.actorName} threw:`, error);
    });
    Promise.race([run, bounded]).then(() => {
      clearTimeout(timer);
      done();
    });
  }
}

/**
 * Resolves once the parent thread has taken everything written to stdout and stderr: a worker's
 * write callback fires only then, in order, so an empty write's callback comes after the rest.
 */
function flushOutput(): Promise<void> {
  const flushed = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => {
      stream.write('', () => resolve());
    });
  const bound = new Promise<void>((resolve) => setTimeout(resolve, OUTPUT_FLUSH_MS).unref());
  return Promise.race([
    Promise.all([flushed(process.stdout), flushed(process.stderr)]),
    bound,
  ]).then(() => undefined);
}

function isAsyncIterator(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncIterator<unknown>).next === 'function' &&
    Symbol.asyncIterator in value
  );
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
