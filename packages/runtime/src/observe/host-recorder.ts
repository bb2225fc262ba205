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
    return this.spans === undefined ? fn.apply(self, args) : this.spans.invoke(fn, self, args);
  }

  ended(methodId: number, callId: number, stamp: number, outcome: CallOutcome): void {
    const now = performance.now();
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
