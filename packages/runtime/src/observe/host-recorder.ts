/**
 * Inside an actor's host: records each call the executor runs into the host's observation room
 * (see layout.ts), which the owner reads. Metrics cost a few additions a call, and the clock is
 * read about once per `CHAIN` back-to-back sync calls (see `ended`); the timeline and traces
 * read it at each start and end.
 */
import { CallOutcome, type CallWatch } from '../host/call-watch.js';
import type { CallMeta, HostInit } from '../wire/protocol.js';
import { watchThisThread } from './call-watcher.js';
import {
  BUCKETS_S,
  binOf,
  epochMicros,
  MethodSlot,
  Observed,
  ObserveRoom,
  RecordSlot,
} from './layout.js';
import { ServerSpans } from './tracing.js';

/** Back-to-back sync calls timed by one clock read. */
const CHAIN = 16;
/** Stamps of calls started in a chain (their start is the previous call's end): above any clock. */
const CHAINED = 2 ** 52;
/** The first bucket's bound (ms): a chain that took less put each of its calls in it, exactly. */
const FIRST_BOUND_MS = (BUCKETS_S[0] as number) * 1000;

/** A call that started, while its end needs more than its start time. */
interface Open {
  start: number;
  wait: number;
  /** Times the call was sent again before this run. */
  retries: number;
  span: ReturnType<ServerSpans['start']>;
}

export class HostRecorder implements CallWatch {
  private readonly counters: Float64Array;
  private readonly metrics: boolean;
  protected readonly timeline: boolean;
  /**
   * A call's stamp is its start time (`performance.now()`), `CHAINED` plus a sequence number
   * for a call started in a chain, or, where the timeline or a trace needs more than its start,
   * minus one plus its slot here.
   */
  private readonly slots: (Open | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  /** Server spans of traced calls (`TracingRecorder` opens them). */
  protected spans: ServerSpans | undefined;
  /** The call just invoked returned at once (not a promise): its end follows in this stack. */
  protected returnedAtOnce = false;
  /**
   * A chain: sync calls that ran back to back in one stretch of synchronous work, each starting
   * where the one before ended. Their run times are counted together when the clock is next
   * read: each in the first bucket, exactly, when the whole chain took less than its bound,
   * else each by the chain's mean (and the next chain is cut short, to one call).
   */
  private chainFrom = 0;
  private readonly chainMethods: number[] = [];
  /** The last call ended in the chain: the next call may join it (in this stretch only). */
  protected chainOpen = false;
  private chainLimit = CHAIN;
  private sequence = 0;
  /** A call started in a chain that did not return at once: its start, read when it returned. */
  private readonly lateStarts = new Map<number, number>();
  protected lastStamp = 0;
  private closing = false;
  private readonly endStretch = (): void => {
    this.closing = false;
    this.chainOpen = false;
    if (this.chainMethods.length > 0) this.closeChain(performance.now());
  };

  constructor(
    private readonly room: ObserveRoom,
    protected readonly actorName: string,
    protected readonly methodNames: readonly string[],
  ) {
    this.counters = room.counters;
    this.metrics = (room.flags & Observed.Metrics) !== 0;
    this.timeline = (room.flags & Observed.Timeline) !== 0 && room.capacity > 0;
  }

  started(methodId: number, _callId: number, queuedAt: number, meta: CallMeta | undefined): number {
    if (this.chainOpen && queuedAt === 0 && !this.timeline) {
      this.chainOpen = false;
      const bin = this.room.methodAt(methodId) + MethodSlot.WaitBins;
      this.counters[bin] = (this.counters[bin] as number) + 1;
      this.lastStamp = CHAINED + ++this.sequence;
      return this.lastStamp;
    }
    this.chainOpen = false;
    const now = performance.now();
    const wait = this.waited(methodId, queuedAt, now);
    if (!this.timeline) {
      this.lastStamp = now;
      return now;
    }
    return this.open(now, wait, meta, undefined);
  }

  /** A call starts at `now` (out of any chain): counts its wait, which it returns. */
  protected waited(methodId: number, queuedAt: number, now: number): number {
    if (this.chainMethods.length > 0) this.closeChain(now);
    const wait = queuedAt === 0 ? 0 : now - queuedAt;
    if (this.metrics) {
      const counters = this.counters;
      const at = this.room.methodAt(methodId);
      counters[at + MethodSlot.WaitSum] =
        (counters[at + MethodSlot.WaitSum] as number) + wait / 1000;
      const bin = at + MethodSlot.WaitBins + (wait === 0 ? 0 : binOf(wait));
      counters[bin] = (counters[bin] as number) + 1;
    }
    return wait;
  }

  /** Keeps what the call's end needs beyond its start (the timeline, a span): its stamp. */
  protected open(
    now: number,
    wait: number,
    meta: CallMeta | undefined,
    span: Open['span'],
  ): number {
    const slot = this.freeSlots.pop() ?? this.slots.length;
    this.slots[slot] = { start: now, wait, retries: meta?.retries ?? 0, span };
    this.lastStamp = -(slot + 1);
    return this.lastStamp;
  }

  invoke(fn: (...args: unknown[]) => unknown, self: object, args: unknown[]): unknown {
    // A method that throws ends at once too.
    this.returnedAtOnce = true;
    return this.returned(fn.apply(self, args));
  }

  /** What the method returned, passed on: a promise or a stream ends later. */
  protected returned(result: unknown): unknown {
    // A promise or a stream ends later, in another stretch: its end reads the clock then.
    this.returnedAtOnce = endsAtOnce(result);
    if (!this.returnedAtOnce && this.lastStamp >= CHAINED) {
      // It joined a chain but ends later: the chain ends here, and this call starts now.
      const now = performance.now();
      this.closeChain(now);
      this.lateStarts.set(this.lastStamp, now);
    }
    return result;
  }

  ended(methodId: number, callId: number, stamp: number, outcome: CallOutcome): void {
    const atOnce = this.returnedAtOnce;
    this.returnedAtOnce = false;
    if (
      atOnce &&
      this.metrics &&
      stamp > 0 &&
      (stamp >= CHAINED || this.chainMethods.length === 0)
    ) {
      this.chain(methodId, stamp, outcome);
      return;
    }
    const now = performance.now();
    if (this.chainMethods.length > 0) this.closeChain(now);
    let start = now;
    let wait = 0;
    let retries = 0;
    if (stamp >= CHAINED) {
      start = this.lateStarts.get(stamp) ?? now;
      this.lateStarts.delete(stamp);
    } else if (stamp > 0) {
      start = stamp;
    } else if (stamp < 0) {
      const open = this.slots[-stamp - 1] as Open;
      this.slots[-stamp - 1] = undefined;
      this.freeSlots.push(-stamp - 1);
      start = open.start;
      wait = open.wait;
      retries = open.retries;
      if (open.span !== undefined) this.spans?.end(open.span, now, outcome === CallOutcome.Ok);
    }
    if (this.metrics) {
      const counters = this.counters;
      const at = this.room.methodAt(methodId);
      counters[at + outcome] = (counters[at + outcome] as number) + 1;
      if (stamp !== 0) this.countRun(at, now - start);
    }
    if (this.timeline) this.record(methodId, callId, start, now, wait, outcome, retries);
  }

  /** A sync call ended: its outcome counts now, its run time with its chain's. */
  private chain(methodId: number, stamp: number, outcome: CallOutcome): void {
    const at = this.room.methodAt(methodId);
    this.counters[at + outcome] = (this.counters[at + outcome] as number) + 1;
    if (stamp < CHAINED) this.chainFrom = stamp;
    this.chainMethods.push(at);
    if (this.chainMethods.length >= this.chainLimit) {
      const now = performance.now();
      this.closeChain(now);
      this.chainFrom = now;
    }
    this.chainOpen = true;
    if (!this.closing) {
      this.closing = true;
      queueMicrotask(this.endStretch);
    }
  }

  /** The chain's calls all ended by `now`: counts their run times. */
  private closeChain(now: number): void {
    const calls = this.chainMethods;
    const elapsed = now - this.chainFrom;
    // Each call took at most the whole chain: under the first bound, all lie in the first bucket.
    const each = elapsed / calls.length;
    this.chainLimit = elapsed <= FIRST_BOUND_MS ? CHAIN : 1;
    for (const at of calls) this.countRun(at, each);
    calls.length = 0;
  }

  private countRun(at: number, ms: number): void {
    const counters = this.counters;
    counters[at + MethodSlot.RunSum] = (counters[at + MethodSlot.RunSum] as number) + ms / 1000;
    const bin = at + MethodSlot.RunBins + binOf(ms);
    counters[bin] = (counters[bin] as number) + 1;
  }

  private record(
    methodId: number,
    callId: number,
    start: number,
    end: number,
    wait: number,
    outcome: CallOutcome,
    retries: number,
  ): void {
    const room = this.room;
    const ring = room.ring;
    const at = room.slotOf(room.written);
    ring[at + RecordSlot.Method] = methodId;
    ring[at + RecordSlot.CallId] = callId;
    ring[at + RecordSlot.Start] = epochMicros(start);
    ring[at + RecordSlot.End] = epochMicros(end);
    ring[at + RecordSlot.WaitUs] = wait * 1000;
    ring[at + RecordSlot.Outcome] = outcome;
    ring[at + RecordSlot.Retries] = retries;
    room.publish();
  }
}

/**
 * A host's recorder where tracing is on (the default): a call that carries a trace context runs
 * in its server span, which its calls to other actors continue. Without tracing (`configure({
 * tracing: false })`) a host runs the plain `HostRecorder`, in which no call pays for it.
 */
export class TracingRecorder extends HostRecorder {
  override started(
    methodId: number,
    callId: number,
    queuedAt: number,
    meta: CallMeta | undefined,
  ): number {
    if (meta === undefined || meta.trace === undefined) {
      return super.started(methodId, callId, queuedAt, meta);
    }
    return this.startTraced(methodId, queuedAt, meta, meta.trace);
  }

  /** A call that carries a trace context starts: in its server span. */
  private startTraced(methodId: number, queuedAt: number, meta: CallMeta, trace: string): number {
    this.chainOpen = false;
    const now = performance.now();
    const wait = this.waited(methodId, queuedAt, now);
    if (this.spans === undefined) {
      this.spans = new ServerSpans(this.actorName, this.methodNames);
      // Calls this actor makes while it runs a traced call are part of the trace.
      watchThisThread();
      this.invoke = this.invokeTraced;
    }
    const span = this.spans.start(methodId, trace, now);
    if (span === undefined && !this.timeline) {
      this.lastStamp = now;
      return now;
    }
    return this.open(now, wait, meta, span);
  }

  /**
   * `invoke` once a call was traced: each call runs inside its span, or outside any. Until then
   * the plain `invoke` runs, so that a host no traced call reached pays nothing for it.
   */
  private invokeTraced(fn: (...args: unknown[]) => unknown, self: object, args: unknown[]) {
    // A method that throws ends at once too.
    this.returnedAtOnce = true;
    return this.returned((this.spans as ServerSpans).invoke(fn, self, args));
  }
}

/** The recorder for a host whose stats memory has an observation room, else undefined. */
export function recorderFor(
  init: Pick<HostInit, 'stats' | 'name' | 'methods'>,
): HostRecorder | undefined {
  const room = ObserveRoom.of(init.stats);
  if (room === undefined) return undefined;
  return (room.flags & Observed.Tracing) !== 0
    ? new TracingRecorder(room, init.name, init.methods)
    : new HostRecorder(room, init.name, init.methods);
}

/**
 * Whether a method's result ends its call now (not a promise or a stream). A hostile result (a
 * Proxy whose traps throw) ends it now too: looking at it must not throw here, where the throw
 * would count as the method's, but when it is sent (a SerializationError naming the result).
 */
function endsAtOnce(result: unknown): boolean {
  if (typeof result !== 'object' || result === null) return true;
  try {
    return (
      typeof (result as PromiseLike<unknown>).then !== 'function' &&
      typeof (result as AsyncIterator<unknown>).next !== 'function'
    );
  } catch {
    return true;
  }
}
