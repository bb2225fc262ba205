/**
 * The observation room of a host's stats memory: after the `StatSlot` counters, where metrics
 * or the timeline are on, a header, per-method counters and histograms, and a ring of call
 * records. The owner allocates it (one per host, so a threaded actor has one per thread); the
 * host alone writes it and the owner reads it whenever it likes, without a message, even after
 * the host has ended. Only this file knows the layout.
 */
import { STAT_SLOTS } from '../wire/protocol.js';

/** Histogram bounds (seconds): 10 µs to 10 s in 1-2.5-5 steps; a last bucket holds the rest. */
export const BUCKETS_S: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
  0.25, 0.5, 1, 2.5, 5, 10,
];
const BUCKETS_MS = BUCKETS_S.map((s) => s * 1000);
const BINS = BUCKETS_S.length + 1;

/** What the room holds, in its header's flags. */
export enum Observed {
  Metrics = 1,
  Timeline = 2,
  /** Calls that carry a trace context run in a server span (`TracingRecorder`). */
  Tracing = 4,
}

/** Per-method counters, by `CallOutcome`, then the sums and the histograms. */
export enum MethodSlot {
  Ok = 0,
  Threw = 1,
  Cancelled = 2,
  Dropped = 3,
  RunSum = 4,
  WaitSum = 5,
  RunBins = 6,
  /** After the run-time bins: one per bound, and the last for the rest. */
  WaitBins = 26,
}
const METHOD_STRIDE = MethodSlot.WaitBins + BINS;
if (MethodSlot.WaitBins !== MethodSlot.RunBins + BINS)
  throw new Error('MethodSlot is out of step with BUCKETS_S');

/** A timeline record: one call, or an instant for a call that never ran. */
export enum RecordSlot {
  Method = 0,
  CallId = 1,
  /** Start and end in µs since the epoch: one clock across threads. */
  Start = 2,
  End = 3,
  WaitUs = 4,
  Outcome = 5,
  /** Times the call was sent again under its retries before this run (`CallMeta.retries`). */
  Retries = 6,
}
export const RECORD_STRIDE = 7;

/** Header slots (Int32). */
enum Head {
  Magic = 0,
  Methods = 1,
  Flags = 2,
  Capacity = 3,
  /** Records written so far (Atomics): the reader's high mark. */
  Written = 4,
}
const HEAD_INTS = 8;
const MAGIC = 0x7472_6f62;
/** Byte offset of the room: after the stat slots, aligned for Float64. */
const BASE = Math.ceil((STAT_SLOTS * 4) / 8) * 8;

/** Views over one host's observation room. */
export class ObserveRoom {
  readonly methods: number;
  readonly flags: number;
  /** Per-method counters: `METHOD_STRIDE` slots each (see `MethodSlot`). */
  readonly counters: Float64Array;
  /** Timeline records: `RECORD_STRIDE` slots each; empty when the timeline is off. */
  readonly ring: Float64Array;
  readonly capacity: number;
  private readonly head: Int32Array;

  private constructor(buffer: SharedArrayBuffer) {
    this.head = new Int32Array(buffer, BASE, HEAD_INTS);
    this.methods = this.head[Head.Methods] as number;
    this.flags = this.head[Head.Flags] as number;
    this.capacity = this.head[Head.Capacity] as number;
    const countersAt = BASE + HEAD_INTS * 4;
    this.counters = new Float64Array(buffer, countersAt, this.methods * METHOD_STRIDE);
    this.ring = new Float64Array(
      buffer,
      countersAt + this.counters.byteLength,
      this.capacity * RECORD_STRIDE,
    );
  }

  /** Stats memory with a room for `methods` methods and a ring of `capacity` records (0: none). */
  static allocate(methods: number, flags: number, capacity: number): Int32Array {
    const ringSize = flags & Observed.Timeline ? capacity : 0;
    const bytes = BASE + HEAD_INTS * 4 + methods * METHOD_STRIDE * 8 + ringSize * RECORD_STRIDE * 8;
    const buffer = new SharedArrayBuffer(bytes);
    const head = new Int32Array(buffer, BASE, HEAD_INTS);
    head[Head.Magic] = MAGIC;
    head[Head.Methods] = methods;
    head[Head.Flags] = flags;
    head[Head.Capacity] = ringSize;
    return new Int32Array(buffer);
  }

  /** Stats memory without a room (observation off). */
  static plain(): Int32Array {
    return new Int32Array(new SharedArrayBuffer(STAT_SLOTS * 4));
  }

  /** The room of a host's stats memory, or undefined where it has none (observation off). */
  static of(stats: Int32Array): ObserveRoom | undefined {
    const buffer = stats.buffer;
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < BASE + HEAD_INTS * 4) {
      return undefined;
    }
    if (new Int32Array(buffer, BASE, 1)[0] !== MAGIC) return undefined;
    return new ObserveRoom(buffer);
  }

  /** Records written so far (the writer's count, never wrapped). */
  get written(): number {
    return Atomics.load(this.head, Head.Written);
  }

  /** Publishes one more record (its slots are written first). */
  publish(): void {
    Atomics.add(this.head, Head.Written, 1);
  }

  /** Where record number `n` lies in the ring. */
  slotOf(n: number): number {
    return (n % this.capacity) * RECORD_STRIDE;
  }

  /** Where method `methodId`'s counters begin. */
  methodAt(methodId: number): number {
    return methodId * METHOD_STRIDE;
  }
}

/** The histogram bin a duration (ms) falls in. */
export function binOf(ms: number): number {
  let i = 0;
  while (i < BUCKETS_MS.length && ms > (BUCKETS_MS[i] as number)) i++;
  return i;
}

export const HISTOGRAM_BINS = BINS;

/** Microseconds since the epoch now, the same clock in every thread. */
export function epochMicros(now = performance.now()): number {
  return (performance.timeOrigin + now) * 1000;
}
