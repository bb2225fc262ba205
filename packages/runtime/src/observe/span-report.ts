/**
 * Spans recorded in a worker without a tracer provider travel to the main thread on one
 * broadcast channel, which emits them through the provider registered there with their real
 * start and end times. Every worker of the process posts to it; only the main thread listens.
 */
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

/** Milliseconds since the epoch, with sub-millisecond precision, the same clock in every thread. */
export function epochMs(now = performance.now()): number {
  return performance.timeOrigin + now;
}
