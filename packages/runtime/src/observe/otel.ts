/**
 * The OpenTelemetry API, where the process uses it: `@opentelemetry/api` is an optional peer
 * dependency, loaded only once a tracer provider is registered, so tracing costs nothing (not
 * even the import) without one.
 */
import { createRequire } from 'node:module';
import type * as Otel from '@opentelemetry/api';
import { clockDomain } from './span-report.js';

export type OtelApi = typeof Otel;

/** Where `@opentelemetry/api` keeps what is registered, shared by every copy of the API. */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

/** Whether this thread registered a tracer provider (`trace.setGlobalTracerProvider`). */
export function providerRegistered(): boolean {
  const registered = (globalThis as Record<symbol, { trace?: unknown } | undefined>)[GLOBAL_KEY];
  return registered?.trace !== undefined;
}

let api: OtelApi | null | undefined;

/** The API, or null if it cannot be loaded from here. */
export function otel(): OtelApi | null {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
    } catch {
      api = null;
    }
  }
  return api;
}

const TRACEPARENT =
  /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(~?)(?:@([0-9a-f]+):(-?\d+(?:\.\d+)?(?:e[+-]\d+)?))?$/;

/**
 * A call's trace context as it travels (`CallMeta.trace`): a W3C `traceparent`, followed by `~`
 * where its span was recorded in a worker without a provider and reported to the main thread,
 * which gives it another id when it emits it, then by `@`, the clock's domain, `:` and the
 * anchor of the span's clock (span-report.ts), which the spans of the call's actor keep where
 * they read the same clock.
 */
export interface TraceContext {
  traceId: string;
  spanId: string;
  flags: number;
  reported: boolean;
  /**
   * The clock anchor of the span that made the call (ms): epoch = anchor + `monoMs()`. Read
   * back only where `monoMs()` is the same clock (`clockDomain()`), else undefined.
   */
  anchor: number | undefined;
}

export function formatTrace(context: TraceContext): string {
  const flags = context.flags.toString(16).padStart(2, '0');
  const anchor = context.anchor === undefined ? '' : `@${clockDomain()}:${context.anchor}`;
  return `00-${context.traceId}-${context.spanId}-${flags}${context.reported ? '~' : ''}${anchor}`;
}

export function parseTrace(trace: string): TraceContext | undefined {
  const match = TRACEPARENT.exec(trace);
  if (match === null) return undefined;
  return {
    traceId: match[1] as string,
    spanId: match[2] as string,
    flags: Number.parseInt(match[3] as string, 16),
    reported: match[4] === '~',
    anchor: match[6] === undefined || match[5] !== clockDomain() ? undefined : Number(match[6]),
  };
}

/** The span name of a call: the actor's name without its sequence number, and the method. */
export function spanName(actorName: string, method: string): string {
  return `${actorName.replace(/#[\d.]+(\/\d+)?$/, '')}.${method}`;
}
