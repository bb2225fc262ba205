/**
 * OpenTelemetry spans across actor hops. Where a tracer provider is registered, each call is a
 * client span where it is made and a server span where the actor runs it, and the call's
 * metadata carries the W3C trace context, so spans started inside an actor's methods are
 * children of the caller's span however many actors the call goes through. A worker without a
 * provider of its own records its spans and reports them to the main thread (span-report.ts),
 * which emits them through its provider with their real times; a provider in the main thread
 * alone thus sees the whole trace.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
import type { Context, Span, SpanContext } from '@opentelemetry/api';
import type { Call } from '../caller/call.js';
import { READY_METHOD } from '../wire/protocol.js';
import {
  formatTrace,
  type OtelApi,
  otel,
  parseTrace,
  providerRegistered,
  spanName,
} from './otel.js';
import { freshAnchor, monoMs, report, SPAN_CHANNEL, type SpanReport } from './span-report.js';

const SERVER = 1;
const CLIENT = 2;
const ERROR = 2;
const TRACER = '@troupe/runtime';

/** A span recorded here and reported to the main thread. */
interface Reported {
  readonly traceId: string;
  readonly spanId: string;
  /** Its clock's anchor (span-report.ts): the spans of the calls it makes keep it. */
  readonly anchor: number;
}

/** A server span's clock, in the context its method runs in: calls made in it keep the anchor. */
interface Anchored {
  readonly span: Span;
  readonly anchor: number;
}

const ANCHOR = Symbol.for('@troupe/runtime span clock');

/**
 * The clock anchor for a span whose parent is the active span of `context`: the parent's where it
 * is a server span of the runtime's, else a new one, read from `Date.now()` as the SDK reads its
 * own spans' start (a user's span is timed by the SDK: its child must not precede it).
 */
function anchorIn(api: OtelApi, context: Context): number {
  const held = context.getValue(ANCHOR) as Anchored | undefined;
  return held !== undefined && api.trace.getSpan(context) === held.span
    ? held.anchor
    : freshAnchor();
}

/** The reported span of the call running now, in a worker without a provider. */
let reportedTrace: AsyncLocalStorage<Reported | undefined> | undefined;

function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

function attributesOf(actor: string, method: string): Record<string, string> {
  return { 'rpc.system': 'troupe', 'troupe.actor': actor, 'rpc.method': method };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The tracing API while a provider is registered in this thread, else null. */
function liveApi(): OtelApi | null {
  return providerRegistered() ? otel() : null;
}

/** Client spans of the calls this thread makes (the caller's half of tracing). */
export class ClientSpans {
  /** Each open span (emitted here, or reported by its id) and its clock's anchor. */
  private readonly open = new Map<Call, { span: Span | string; anchor: number }>();

  made(call: Call): void {
    // A call that carries a trace already is passed on by this thread (the owner forwarding a
    // call to its actor): its caller's span stays its parent.
    if (call.methodId === READY_METHOD || call.meta?.trace !== undefined) return;
    const { info } = call.ref;
    const name = spanName(info.name, call.method);
    const api = liveApi();
    if (api !== null) {
      const active = api.context.active();
      const anchor = anchorIn(api, active);
      const span = api.trace.getTracer(TRACER).startSpan(
        name,
        {
          kind: CLIENT,
          startTime: anchor + monoMs(),
          attributes: attributesOf(info.name, call.method),
        },
        active,
      );
      const context = span.spanContext();
      if (!api.isSpanContextValid(context)) return;
      call.setMeta({
        ...call.meta,
        trace: formatTrace({ ...context, flags: context.traceFlags, reported: false, anchor }),
      });
      this.open.set(call, { span, anchor });
      return;
    }
    const parent = reportedTrace?.getStore();
    if (parent === undefined) return;
    const id = newSpanId();
    const { anchor } = parent;
    report([
      's',
      id,
      parent.spanId,
      true,
      parent.traceId,
      name,
      CLIENT,
      anchor + monoMs(),
      attributesOf(info.name, call.method),
    ]);
    call.setMeta({
      ...call.meta,
      trace: formatTrace({
        traceId: parent.traceId,
        spanId: id,
        flags: 1,
        reported: true,
        anchor,
      }),
    });
    this.open.set(call, { span: id, anchor });
  }

  settled(call: Call, error: unknown): void {
    const open = this.open.get(call);
    if (open === undefined) return;
    this.open.delete(call);
    const { span, anchor } = open;
    const failure = error === undefined ? undefined : messageOf(error);
    if (typeof span === 'string') {
      report(['e', span, anchor + monoMs(), failure]);
      return;
    }
    if (failure !== undefined) span.setStatus({ code: ERROR, message: failure });
    span.end(anchor + monoMs());
  }
}

/** A server span open in a worker: emitted by its own provider, or reported. */
type ServerSpan =
  | {
      readonly span: Span;
      readonly context: Context;
      readonly api: OtelApi;
      readonly anchor: number;
    }
  | { readonly reported: Reported };

/** Server spans of the traced calls an actor's host runs. */
export class ServerSpans {
  /** The span `start` just opened, for the `invoke` that follows it at once. */
  private current: ServerSpan | undefined;

  constructor(
    private readonly actorName: string,
    private readonly methods: readonly string[],
  ) {}

  start(methodId: number, trace: string, now: number): ServerSpan | undefined {
    const parent = parseTrace(trace);
    if (parent === undefined) return undefined;
    const method = this.methods[methodId] ?? `#${methodId}`;
    const name = spanName(this.actorName, method);
    const attributes = attributesOf(this.actorName, method);
    // On its caller's span clock: it starts after its client span, read on the same clock.
    const anchor = parent.anchor ?? freshAnchor();
    const startMs = anchor + monoMs(now);
    const api = liveApi();
    if (api !== null) {
      const remote = api.trace.setSpanContext(api.ROOT_CONTEXT, {
        traceId: parent.traceId,
        spanId: parent.spanId,
        traceFlags: parent.flags,
        isRemote: true,
      });
      const span = api.trace
        .getTracer(TRACER)
        .startSpan(name, { kind: SERVER, startTime: startMs, attributes }, remote);
      const context = api.trace.setSpan(remote, span).setValue(ANCHOR, { span, anchor });
      this.current = { span, context, api, anchor };
    } else {
      const spanId = newSpanId();
      report([
        's',
        spanId,
        parent.spanId,
        parent.reported,
        parent.traceId,
        name,
        SERVER,
        startMs,
        attributes,
      ]);
      this.current = { reported: { traceId: parent.traceId, spanId, anchor } };
    }
    return this.current;
  }

  /** Runs a method inside its call's span, or outside any where the call carries none. */
  invoke(fn: (...args: unknown[]) => unknown, self: object, args: unknown[]): unknown {
    const open = this.current;
    this.current = undefined;
    if (open === undefined) {
      return reportedTrace === undefined
        ? fn.apply(self, args)
        : reportedTrace.run(undefined, () => fn.apply(self, args));
    }
    if ('reported' in open) {
      reportedTrace ??= new AsyncLocalStorage();
      return reportedTrace.run(open.reported, () => fn.apply(self, args));
    }
    return open.api.context.with(open.context, () => fn.apply(self, args));
  }

  end(open: ServerSpan, now: number, ok: boolean): void {
    if ('reported' in open) {
      const endMs = open.reported.anchor + monoMs(now);
      report(['e', open.reported.spanId, endMs, ok ? undefined : 'the method threw']);
      return;
    }
    if (!ok) open.span.setStatus({ code: ERROR, message: 'the method threw' });
    open.span.end(open.anchor + monoMs(now));
  }
}

/**
 * The main thread's side: emits the spans workers report through the provider registered here,
 * each with its parent, whichever report arrives first.
 */
class ReportedSpans {
  /** Spans emitted and not yet ended, by their id in the worker. */
  private readonly emitted = new Map<string, Span>();
  /** The emitted span's context for each reported id (kept after its end, the latest 10,000). */
  private readonly contexts = new Map<string, SpanContext>();
  /** Reports waiting for the start of the span they name (their parent, or themselves). */
  private readonly waiting = new Map<string, SpanReport[]>();

  receive(message: SpanReport): void {
    const api = otel();
    if (api === null) return;
    if (message[0] === 'e') {
      const span = this.emitted.get(message[1]);
      if (span === undefined) {
        this.wait(message[1], message);
        return;
      }
      this.emitted.delete(message[1]);
      if (message[3] !== undefined) span.setStatus({ code: ERROR, message: message[3] });
      span.end(message[2]);
      return;
    }
    const [, id, parentId, parentReported, traceId, name, kind, startMs, attributes] = message;
    let parent: SpanContext | undefined;
    if (parentReported) {
      parent = this.contexts.get(parentId);
      if (parent === undefined) {
        this.wait(parentId, message);
        return;
      }
    } else {
      parent = { traceId, spanId: parentId, traceFlags: 1, isRemote: true };
    }
    const span = api.trace
      .getTracer(TRACER)
      .startSpan(
        name,
        { kind, startTime: startMs, attributes },
        api.trace.setSpanContext(api.ROOT_CONTEXT, parent),
      );
    this.emitted.set(id, span);
    this.contexts.set(id, span.spanContext());
    if (this.contexts.size > 10_000) {
      this.contexts.delete(this.contexts.keys().next().value as string);
    }
    const waiting = this.waiting.get(id);
    if (waiting !== undefined) {
      this.waiting.delete(id);
      for (const report of waiting) this.receive(report);
    }
  }

  private wait(id: string, message: SpanReport): void {
    const list = this.waiting.get(id);
    if (list === undefined) this.waiting.set(id, [message]);
    else list.push(message);
  }
}

let listening: BroadcastChannel | undefined;

/** The main thread emits what workers report, from the first spawn while a provider is registered. */
export function listenForReportedSpans(): void {
  if (listening !== undefined || !providerRegistered()) return;
  const spans = new ReportedSpans();
  listening = new BroadcastChannel(SPAN_CHANNEL);
  listening.unref();
  listening.onmessage = (event) => spans.receive((event as { data: SpanReport }).data);
}
