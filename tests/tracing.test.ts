/**
 * OpenTelemetry across actor hops, with the SDK's in-memory exporter and a context manager
 * registered in the main thread alone: the workers report their spans to it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { shutdown, spawn } from '@troupe/runtime';
import { Counter } from './fixtures/dist/counter.js';
import { Steps } from './fixtures/dist/observed.js';
import { Relay } from './fixtures/dist/relay.js';

const exporter = new InMemorySpanExporter();

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
async function spansOf(traceId: string, n: number): Promise<ReadableSpan[]> {
  for (;;) {
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    if (spans.length >= n) return spans;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function parentOf(span: ReadableSpan): string | undefined {
  const s = span as ReadableSpan & { parentSpanId?: string };
  return s.parentSpanContext?.spanId ?? s.parentSpanId;
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
    // The worker's times are real: its server span starts where its client span does, not when
    // it was exported. Not to the millisecond: the SDK times client spans on a clock anchored to
    // Date.now() at the trace's root, the worker on performance.timeOrigin, and those two drift
    // apart by milliseconds as a process runs; a span sent late would be off by far more.
    const clientA = spans.find((s) => s.name === 'Relay.addToPeer' && s.kind === SpanKind.CLIENT);
    const serverA = spans.find((s) => s.name === 'Relay.addToPeer' && s.kind === SpanKind.SERVER);
    const ms = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6;
    const clientStart = ms((clientA as ReadableSpan).startTime);
    const clientEnd = ms((clientA as ReadableSpan).endTime);
    const serverStart = ms((serverA as ReadableSpan).startTime);
    expect(serverStart).toBeGreaterThanOrEqual(clientStart - 1000);
    expect(serverStart).toBeLessThanOrEqual(clientEnd + 1000);
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
