/**
 * Inside an actor's host: records each call the executor runs into the host's observation room
 * (see layout.ts), which the owner reads. Metrics cost two clock reads and a few additions a call;
 * the timeline adds one record to a ring.
 */
import { CallOutcome, type CallWatch } from '../host/call-watch.js';
import type { CallMeta, HostInit } from '../wire/protocol.js';
import { watchThisThread } from './call-watcher.js';
import { binOf, epochMicros, MethodSlot, Observed, ObserveRoom, RecordSlot } from './layout.js';
import { ServerSpans } from './tracing.js';

/** A call that started, while its end needs more than its start time. */
interface Open {
  start: number;
  wait: number;
  span: ReturnType<ServerSpans['start']>;
}

export class HostRecorder implements CallWatch {
  private readonly counters: Float64Array;
  private readonly metrics: boolean;
  private readonly timeline: boolean;
  /**
   * A call's stamp is its start time (`performance.now()`, positive), or, where the timeline or a
   * trace needs more than that, minus one plus its slot here.
   */
  private readonly slots: (Open | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private spans: ServerSpans | undefined;
  /** The call just invoked returned at once (not a promise): its end follows in this stack. */
  private returnedAtOnce = false;
  /**
   * A sync call that ended in this stretch of synchronous work, its end time not yet read: the
   * next call's start (or the end of the stretch) reads the clock for both. Back-to-back sync
   * calls thus read the clock once each, not twice; the executor's own work between two calls
   * (well under the first bucket's 10 µs) counts in the earlier call's run time.
   */
  private deferredStart = 0;
  private deferredAt = 0;
  private closing = false;
  private readonly closeDeferred = (): void => {
    this.closing = false;
    if (this.deferredStart !== 0) this.closeRun(performance.now());
  };

  constructor(
    private readonly room: ObserveRoom,
    private readonly actorName: string,
    private readonly methodNames: readonly string[],
  ) {
    this.counters = room.counters;
    this.metrics = (room.flags & Observed.Metrics) !== 0;
    this.timeline = (room.flags & Observed.Timeline) !== 0 && room.capacity > 0;
  }

  started(methodId: number, _callId: number, queuedAt: number, meta: CallMeta | undefined): number {
    const now = performance.now();
    if (this.deferredStart !== 0) this.closeRun(now);
    const wait = queuedAt === 0 ? 0 : now - queuedAt;
    if (this.metrics) {
      const counters = this.counters;
      const at = this.room.methodAt(methodId);
      counters[at + MethodSlot.WaitSum] =
        (counters[at + MethodSlot.WaitSum] as number) + wait / 1000;
      const bin = at + MethodSlot.WaitBins + (wait === 0 ? 0 : binOf(wait));
      counters[bin] = (counters[bin] as number) + 1;
    }
    let span: ReturnType<ServerSpans['start']>;
    if (meta?.trace !== undefined) {
      if (this.spans === undefined) {
        this.spans = new ServerSpans(this.actorName, this.methodNames);
        // Calls this actor makes while it runs a traced call are part of the trace.
        watchThisThread();
      }
      span = this.spans.start(methodId, meta.trace, now);
    }
    if (!this.timeline && span === undefined) return now;
    const slot = this.freeSlots.pop() ?? this.slots.length;
    this.slots[slot] = { start: now, wait, span };
    return -(slot + 1);
  }

  invoke(fn: (...args: unknown[]) => unknown, self: object, args: unknown[]): unknown {
    const result =
      this.spans === undefined ? fn.apply(self, args) : this.spans.invoke(fn, self, args);
    // A promise or a stream ends later, in another stretch: its end reads the clock then.
    this.returnedAtOnce =
      typeof result !== 'object' ||
      result === null ||
      (typeof (result as PromiseLike<unknown>).then !== 'function' &&
        typeof (result as AsyncIterator<unknown>).next !== 'function');
    return result;
  }

  /** Counts the run of the deferred call, which ended by `now`. */
  private closeRun(now: number): void {
    const counters = this.counters;
    const at = this.deferredAt;
    const run = now - this.deferredStart;
    this.deferredStart = 0;
    counters[at + MethodSlot.RunSum] = (counters[at + MethodSlot.RunSum] as number) + run / 1000;
    const bin = at + MethodSlot.RunBins + binOf(run);
    counters[bin] = (counters[bin] as number) + 1;
  }

  ended(methodId: number, callId: number, stamp: number, outcome: CallOutcome): void {
    const atOnce = this.returnedAtOnce;
    this.returnedAtOnce = false;
    if (atOnce && stamp > 0 && this.metrics) {
      // A plain sync call (no timeline, no trace): its outcome now, its run time at the next read.
      const at = this.room.methodAt(methodId);
      this.counters[at + outcome] = (this.counters[at + outcome] as number) + 1;
      this.deferredStart = stamp;
      this.deferredAt = at;
      if (!this.closing) {
        this.closing = true;
        queueMicrotask(this.closeDeferred);
      }
      return;
    }
    const now = performance.now();
    if (this.deferredStart !== 0) this.closeRun(now);
    let start = now;
    let wait = 0;
    if (stamp > 0) start = stamp;
    else if (stamp < 0) {
      const open = this.slots[-stamp - 1] as Open;
      this.slots[-stamp - 1] = undefined;
      this.freeSlots.push(-stamp - 1);
      start = open.start;
      wait = open.wait;
      if (open.span !== undefined) this.spans?.end(open.span, now, outcome === CallOutcome.Ok);
    }
    if (this.metrics) {
      const counters = this.counters;
      const at = this.room.methodAt(methodId);
      counters[at + outcome] = (counters[at + outcome] as number) + 1;
      if (stamp !== 0) {
        const run = now - start;
        counters[at + MethodSlot.RunSum] =
          (counters[at + MethodSlot.RunSum] as number) + run / 1000;
        const bin = at + MethodSlot.RunBins + binOf(run);
        counters[bin] = (counters[bin] as number) + 1;
      }
    }
    if (this.timeline) this.record(methodId, callId, start, now, wait, outcome);
  }

  private record(
    methodId: number,
    callId: number,
    start: number,
    end: number,
    wait: number,
    outcome: CallOutcome,
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
    room.publish();
  }
}

/** The recorder for a host whose stats memory has an observation room, else undefined. */
export function recorderFor(
  init: Pick<HostInit, 'stats' | 'name' | 'methods'>,
): HostRecorder | undefined {
  const room = ObserveRoom.of(init.stats);
  return room === undefined ? undefined : new HostRecorder(room, init.name, init.methods);
}
