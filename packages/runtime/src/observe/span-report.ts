/**
 * Spans recorded in a worker without a tracer provider travel to the main thread on one
 * broadcast channel, which emits them through the provider registered there with their real
 * start and end times. Every worker of the process posts to it; only the main thread listens.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { BroadcastChannel } from 'node:worker_threads';

export const SPAN_CHANNEL = 'troupe:spans';

/** A span began: its id here, its parent (reported too, or a real span), trace, name, kind, start (ms since the epoch). */
export type SpanStart = readonly [
  op: 's',
  id: string,
  parentId: string,
  parentReported: boolean,
  traceId: string,
  name: string,
  kind: number,
  startMs: number,
  attributes: Record<string, string>,
];
/** A span ended: its id, its end (ms since the epoch), and the error message where it failed. */
export type SpanEnd = readonly [op: 'e', id: string, endMs: number, error: string | undefined];
export type SpanReport = SpanStart | SpanEnd;

let channel: BroadcastChannel | undefined;

/** Sends a report to the main thread; the channel never holds the worker open. */
export function report(message: SpanReport): void {
  if (channel === undefined) {
    channel = new BroadcastChannel(SPAN_CHANNEL);
    channel.unref();
  }
  channel.postMessage(message);
}

/**
 * This thread's `performance.now()` origin on `process.hrtime`'s clock (ms): that clock is one
 * monotonic clock shared by every thread of the process, where each thread's `performance.now()`
 * counts from its own start, and `performance.timeOrigin + performance.now()` follows the wall
 * clock as it was when the thread started (threads started apart can differ by the wall clock's
 * adjustments in between).
 */
const HR_ORIGIN = ((): number => {
  let gap = Number.POSITIVE_INFINITY;
  let origin = 0;
  for (let i = 0; i < 5; i++) {
    const before = process.hrtime.bigint();
    const now = performance.now();
    const after = process.hrtime.bigint();
    if (Number(after - before) < gap) {
      gap = Number(after - before);
      origin = Number(before + after) / 2e6 - now;
    }
  }
  return origin;
})();

/** A time (`performance.now()` of this thread, by default now) on the clock every thread shares, ms. */
export function monoMs(now = performance.now()): number {
  return HR_ORIGIN + now;
}

/**
 * A new span clock's anchor: what turns the shared clock into ms since the epoch (`anchor +
 * monoMs()`), read from `Date.now()` as the OpenTelemetry SDK anchors its own spans. A trace's
 * spans made by the runtime keep the anchor of the first, across every hop (it travels in the
 * trace context), so a span's start never precedes its parent's: both are read on one clock.
 */
export function freshAnchor(): number {
  return Date.now() - monoMs();
}

let domain: string | undefined;

/**
 * Where `monoMs()` means the same: the machine since its boot (Linux's boot id; every process on
 * it reads one monotonic clock), else this process. An anchor read on another clock (a call from
 * another machine of a cluster) is not used: the span takes a new one.
 */
export function clockDomain(): string {
  if (domain === undefined) {
    let source: string;
    try {
      source = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      source = `${hostname()}:${process.pid}`;
    }
    domain = createHash('sha256').update(source).digest('hex').slice(0, 16);
  }
  return domain;
}
