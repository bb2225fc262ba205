/**
 * OpenTelemetry across actor hops, with the SDK's in-memory exporter and a context manager
 * registered in the main thread: the workers report their spans to it. Then with a provider in
 * each worker too (`configure({ workerSetup })`), where user spans inside actor methods join the
 * trace under the runtime's server spans.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { type ActorHandle, configure, shutdown, spawn } from '@troupe/runtime';
import fc from 'fast-check';
import { formatTrace, parseTrace } from '../packages/runtime/src/observe/otel.js';
import { Counter } from './fixtures/dist/counter.js';
import { Steps } from './fixtures/dist/observed.js';
import { WORKER_SPANS, type WorkerSpan } from './fixtures/dist/otel-channel.js';
import { Relay } from './fixtures/dist/relay.js';
import { Inner, InnerRestartable, InnerThreads, Outer } from './fixtures/dist/traced.js';

/** Wakes whoever waits for spans: each span that ends here, or that a worker posts. */
const waiting = new Set<() => void>();
function arrived(): void {
  for (const wake of waiting) wake();
  waiting.clear();
}

/** The first value `check` finds, checked again as spans arrive (no polling: a span wakes it). */
async function until<T>(check: () => T | undefined): Promise<T> {
  for (let found = check(); ; found = check()) {
    if (found !== undefined) return found;
    await new Promise<void>((resolve) => waiting.add(resolve));
  }
}

/** The SDK's in-memory exporter, waking the waits on each span it takes. */
class Exporter extends InMemorySpanExporter {
  override export(spans: ReadableSpan[], done: Parameters<InMemorySpanExporter['export']>[1]) {
    super.export(spans, done);
    arrived();
  }
}

const exporter = new Exporter();

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
});

afterAll(async () => {
  await shutdown();
  trace.disable();
  context.disable();
});

/** Waits until `n` spans of trace `traceId` have ended (workers report theirs as messages). */
function spansOf(traceId: string, n: number): Promise<ReadableSpan[]> {
  return until(() => {
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    return spans.length >= n ? spans : undefined;
  });
}

function parentOf(span: ReadableSpan): string | undefined {
  const s = span as ReadableSpan & { parentSpanId?: string };
  return s.parentSpanContext?.spanId ?? s.parentSpanId;
}

const ms = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6;

/** A span of either side, as the checks below read it. */
interface Seen {
  name: string;
  kind: number;
  spanId: string;
  parentId: string | undefined;
  startMs: number;
  endMs: number;
}

function seen(span: ReadableSpan): Seen {
  return {
    name: span.name,
    kind: span.kind,
    spanId: span.spanContext().spanId,
    parentId: parentOf(span),
    startMs: ms(span.startTime),
    endMs: ms(span.endTime),
  };
}

/** The names from `span` up through its parents; '(missing)' where a parent is not among `spans`. */
function chainOf(spans: Seen[], span: Seen): string[] {
  const next = spans.find((s) => s.spanId === span.parentId);
  const rest = next ? chainOf(spans, next) : span.parentId === undefined ? [] : ['(missing)'];
  return [span.name, ...rest];
}

function find(spans: Seen[], name: string, kind: SpanKind): Seen {
  const span = spans.find((s) => s.name === name && s.kind === kind);
  if (span === undefined) throw new Error(`no ${SpanKind[kind]} span ${name}`);
  return span;
}

/**
 * A call's server span lies inside its client span, on one clock: it starts no earlier and ends
 * no later, to the nanosecond, wherever each side ran.
 */
function expectNested(outer: Seen, inner: Seen): void {
  expect(inner.startMs).toBeGreaterThanOrEqual(outer.startMs);
  expect(inner.endMs).toBeGreaterThanOrEqual(inner.startMs);
  expect(outer.endMs).toBeGreaterThanOrEqual(inner.endMs);
}

describe('tracing', () => {
  test('a call to actor A whose method calls actor B is one trace, its parents leading back to the root', async () => {
    const b = spawn(Counter, { args: [0] });
    const a = spawn(Relay, { args: [b] });
    await a.ready();
    let traceId = '';
    let rootId = '';
    await trace.getTracer('test').startActiveSpan('root', async (root) => {
      traceId = root.spanContext().traceId;
      rootId = root.spanContext().spanId;
      expect(await a.addToPeer(2)).toBe(2);
      root.end();
    });
    const spans = await spansOf(traceId, 5);
    expect(spans).toHaveLength(5);
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const chain = (span: ReadableSpan): string[] => {
      const parent = parentOf(span);
      const next = parent === undefined ? undefined : byId.get(parent);
      return [span.name, ...(next ? chain(next) : parent === undefined ? [] : ['(missing)'])];
    };
    const serverB = spans.find((s) => s.name === 'Counter.add' && s.kind === SpanKind.SERVER);
    expect(serverB).toBeDefined();
    expect(chain(serverB as ReadableSpan)).toEqual([
      'Counter.add',
      'Counter.add',
      'Relay.addToPeer',
      'Relay.addToPeer',
      'root',
    ]);
    expect(spans.map((s) => [s.name, s.kind]).sort()).toEqual(
      [
        ['Counter.add', SpanKind.CLIENT],
        ['Counter.add', SpanKind.SERVER],
        ['Relay.addToPeer', SpanKind.CLIENT],
        ['Relay.addToPeer', SpanKind.SERVER],
        ['root', SpanKind.INTERNAL],
      ].sort(),
    );
    expect(parentOf(byId.get(rootId) as ReadableSpan)).toBeUndefined();
    // The workers' times are real and on their caller's clock: each server span lies inside its
    // client span, and the second hop inside the first's server span, exactly.
    const all = spans.map(seen);
    const clientA = find(all, 'Relay.addToPeer', SpanKind.CLIENT);
    const serverA = find(all, 'Relay.addToPeer', SpanKind.SERVER);
    const clientB = find(all, 'Counter.add', SpanKind.CLIENT);
    expectNested(clientA, serverA);
    expectNested(serverA, clientB);
    expectNested(clientB, find(all, 'Counter.add', SpanKind.SERVER));
  });

  test('a server span lies inside its client span however far Date.now() is from performance.timeOrigin', async () => {
    // The SDK anchors a span to Date.now() when it starts; a process's wall clock drifts from
    // performance.timeOrigin + performance.now() as it runs (adjusted by NTP, or set). Here the
    // drift is made, in the main thread, by as much as a few seconds either way.
    const b = spawn(Counter, { args: [0] });
    const a = spawn(Relay, { args: [b] });
    await a.ready();
    const realNow = Date.now;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 3000 }), fc.boolean(), async (driftMs, ahead) => {
        let traceId = '';
        Date.now = () => realNow() + (ahead ? driftMs : -driftMs);
        try {
          await trace.getTracer('test').startActiveSpan('root', async (root) => {
            traceId = root.spanContext().traceId;
            await a.addToPeer(1);
            root.end();
          });
        } finally {
          Date.now = realNow;
        }
        const all = (await spansOf(traceId, 5)).map(seen);
        const serverA = find(all, 'Relay.addToPeer', SpanKind.SERVER);
        const clientB = find(all, 'Counter.add', SpanKind.CLIENT);
        expectNested(find(all, 'Relay.addToPeer', SpanKind.CLIENT), serverA);
        expectNested(serverA, clientB);
        expectNested(clientB, find(all, 'Counter.add', SpanKind.SERVER));
      }),
      { numRuns: 8 },
    );
  });

  test('configure({ tracing: false }): no span for the calls made here, nor in actors spawned then', async () => {
    configure({ tracing: false });
    try {
      const b = spawn(Counter, { args: [0] });
      const a = spawn(Relay, { args: [b] });
      let traceId = '';
      await trace.getTracer('test').startActiveSpan('root', async (root) => {
        traceId = root.spanContext().traceId;
        expect(await a.addToPeer(2)).toBe(2);
        root.end();
      });
      // The call carried no trace context: the actors had none to continue.
      const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      expect(spans.map((s) => s.name)).toEqual(['root']);
    } finally {
      configure({ tracing: true });
    }
  });

  test('a trace context travels with its clock anchor, and reads back as it was written', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9a-f]{32}$/),
        fc.stringMatching(/^[0-9a-f]{16}$/),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        fc.option(
          fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x + 0),
          { nil: undefined },
        ),
        (traceId, spanId, flags, reported, anchor) => {
          const context = { traceId, spanId, flags, reported, anchor };
          expect(parseTrace(formatTrace(context))).toEqual(context);
        },
      ),
    );
    // A plain W3C traceparent (from another tracer) has no anchor, and an anchor read on another
    // machine's clock (a cluster's) is not this clock's: their spans take a new one.
    const plain = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const parsed = parseTrace(plain);
    expect(parsed?.anchor).toBe(undefined);
    expect(parseTrace(`${plain}@${'0'.repeat(16)}:1796378600633.9414`)?.anchor).toBe(undefined);
    if (parsed !== undefined)
      expect(parseTrace(formatTrace({ ...parsed, anchor: 5 }))?.anchor).toBe(5);
  });

  test('a call that throws ends its spans with an error status', async () => {
    const steps = spawn(Steps);
    let traceId = '';
    await trace.getTracer('test').startActiveSpan('root', async (root) => {
      traceId = root.spanContext().traceId;
      await expect(steps.fail(1)).rejects.toThrow('step 1 failed');
      root.end();
    });
    const spans = await spansOf(traceId, 3);
    const failed = spans.filter((s) => s.name === 'Steps.fail');
    expect(failed.map((s) => s.status.code).sort()).toEqual([2, 2]);
  });
});

describe('with a tracer provider in each worker too (configure({ workerSetup }))', () => {
  const received: WorkerSpan[] = [];
  let channel: BroadcastChannel;

  beforeAll(() => {
    channel = new BroadcastChannel(WORKER_SPANS);
    channel.onmessage = (event) => {
      received.push((event as { data: WorkerSpan }).data);
      arrived();
    };
    configure({ workerSetup: new URL('./fixtures/dist/otel-setup.js', import.meta.url) });
  });

  afterAll(() => {
    configure({ workerSetup: null });
    channel.close();
  });

  /** Waits until the workers have posted `n` ended spans of trace `traceId`. */
  function workerSpansOf(traceId: string, n: number): Promise<Seen[]> {
    return until(() => {
      const spans = received.filter((s) => s.traceId === traceId);
      return spans.length >= n ? spans : undefined;
    });
  }

  test.each([
    ['an async actor', Inner],
    ['a threaded actor', InnerThreads],
    ['an actor that restarts', InnerRestartable],
  ] as const)(
    'user spans in actor methods are children of the server span of their call, one trace across two hops to %s',
    async (_, Kind) => {
      const inner = spawn(Kind as typeof Inner);
      const outer = spawn(Outer, { args: [inner as ActorHandle<Inner>] });
      await outer.ready();
      let traceId = '';
      await trace.getTracer('test').startActiveSpan('root', async (root) => {
        traceId = root.spanContext().traceId;
        expect(await outer.relay(3)).toBe(6);
        root.end();
      });
      // The root and the first client span end here; the rest in the actors' workers.
      const all = [...(await spansOf(traceId, 2)).map(seen), ...(await workerSpansOf(traceId, 5))];
      expect(all).toHaveLength(7);
      const hop = `${Kind.name}.double`;
      expect(chainOf(all, find(all, 'inner work', SpanKind.INTERNAL))).toEqual([
        'inner work',
        hop,
        hop,
        'outer work',
        'Outer.relay',
        'Outer.relay',
        'root',
      ]);
      expect(all.map((s) => `${s.name} ${SpanKind[s.kind]}`).sort()).toEqual(
        [
          'root INTERNAL',
          'Outer.relay CLIENT',
          'Outer.relay SERVER',
          'outer work INTERNAL',
          `${hop} CLIENT`,
          `${hop} SERVER`,
          'inner work INTERNAL',
        ].sort(),
      );
      // The runtime's spans keep their caller's clock across threads: each call's server span lies
      // inside its client span (the user spans are timed by each worker's SDK, on its own clock).
      expectNested(
        find(all, 'Outer.relay', SpanKind.CLIENT),
        find(all, 'Outer.relay', SpanKind.SERVER),
      );
      expectNested(find(all, hop, SpanKind.CLIENT), find(all, hop, SpanKind.SERVER));
    },
  );
});
