/**
 * Guarantee 5's structures: what a burst of calls costs must not grow with the burst. A caller's
 * burst leaves in batches of bounded size (not one message of every call made in the tick), and
 * an actor's waiting calls lie in linked blocks of slots (not an object each), which behaves as a
 * plain FIFO of its calls whatever the order of pushes and shifts. The costs themselves are
 * measured by `npm run bench` (the growth group), never asserted here.
 */
import { describe, expect, jest, test } from '@jest/globals';
import fc from 'fast-check';
import {
  type Call,
  callOf,
  pooledCalls,
  startCall,
  startPlainCall,
} from '../packages/runtime/src/caller/call.js';
import { cancel } from '../packages/runtime/src/caller/calls.js';
import { Connection } from '../packages/runtime/src/caller/connection.js';
import { WaitingCalls } from '../packages/runtime/src/host/call-queue.js';
import {
  appendCall,
  countOf,
  forEachCall,
  forEachResult,
  newCalls,
  oneResult,
} from '../packages/runtime/src/wire/batch.js';
import { Endpoint, type Served } from '../packages/runtime/src/wire/endpoint.js';
import {
  type ActorInfo,
  type CallsBatch,
  CELL_SHIFT,
  type Message,
  Op,
  type ResultsBatch,
  Status,
} from '../packages/runtime/src/wire/protocol.js';
import type { Transport } from '../packages/runtime/src/wire/transport.js';

/** Calls one batch may carry (wire/batch.ts). */
const MAX_BATCH = 1024;

/** A link that keeps what is posted on it, and never answers. */
class RecordingTransport implements Transport {
  readonly posted: Message[] = [];
  post(message: Message): void {
    this.posted.push(message);
  }
  listen(_onMessage: (message: Message) => void): void {}
  hold(): void {}
  close(): void {}

  batches(): CallsBatch[] {
    return this.posted.filter((m): m is CallsBatch => m[0] === Op.Calls);
  }
}

const info: ActorInfo = {
  actorId: 'bursts-test',
  name: 'Burst',
  kind: 'serial',
  methods: ['echo'],
  groups: ['default'],
  methodTimeouts: [],
  streamMethods: [],
  retries: [],
};

describe('a burst of calls made in one tick', () => {
  test('leaves in batches of at most 1024 calls, every call once and in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 * MAX_BATCH + 100 }), async (n) => {
        const transport = new RecordingTransport();
        const conn = new Connection(transport, info, true);
        for (let i = 0; i < n; i++) startCall(conn, 0, [i]);
        // Full batches left during the burst; the rest leaves at the end of the tick.
        expect(transport.batches().length).toBe(Math.floor(n / MAX_BATCH));
        await Promise.resolve();
        const sent: [number, unknown][] = [];
        for (const batch of transport.batches()) {
          expect(countOf(batch)).toBeGreaterThan(0);
          expect(countOf(batch)).toBeLessThanOrEqual(MAX_BATCH);
          forEachCall(batch, (id, _target, args) => sent.push([id, (args as unknown[])[0]]));
        }
        expect(sent.length).toBe(n);
        let lastId = 0;
        for (let i = 0; i < n; i++) {
          const [id, arg] = sent[i] as [number, unknown];
          if (arg !== i || id <= lastId) throw new Error(`call ${i}: id ${id}, argument ${arg}`);
          lastId = id;
        }
        // Each call's cells reached the host before the batch that carries it.
        const cellsSent = new Set<number>();
        for (const m of transport.posted) {
          if (m[0] === Op.CallCells) cellsSent.add(m[1]);
          if (m[0] === Op.Calls) {
            forEachCall(m, (id) => {
              if (!cellsSent.has(id >> CELL_SHIFT)) throw new Error(`call ${id} before its cells`);
            });
          }
        }
      }),
      { numRuns: 12 },
    );
  });
});

describe("a burst of results an actor's thread answers in one tick", () => {
  test('leaves in batches of at most 1024 results, every result once and in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 * MAX_BATCH + 100 }), async (n) => {
        const transport = new AnsweringTransport();
        const served: Served = {
          submit: (endpoint, callId, _target, args) => endpoint.reply(callId, args[0]),
          control() {},
        };
        new Endpoint(transport, served, false);
        const calls = newCalls();
        for (let i = 1; i <= n; i++) appendCall(calls, i, 0, [i * 2]);
        transport.deliver(calls);
        const results = () =>
          transport.posted.filter((m): m is ResultsBatch => m[0] === Op.Results);
        // Full batches left while the calls were answered; the rest leaves at the end of the tick.
        expect(results().length).toBe(Math.floor(n / MAX_BATCH));
        await Promise.resolve();
        const answered: number[] = [];
        for (const batch of results()) {
          expect(countOf(batch)).toBeGreaterThan(0);
          expect(countOf(batch)).toBeLessThanOrEqual(MAX_BATCH);
          forEachResult(batch, (id, status, value) => {
            if (status !== Status.Ok || value !== id * 2) throw new Error(`result ${id}: ${value}`);
            answered.push(id);
          });
        }
        expect(answered).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      }),
      { numRuns: 12 },
    );
  });
});

describe('a pending call', () => {
  test('keeps one function of its promise, and still settles it either way, once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.anything(), fc.constant(new Error('boom'))), { maxLength: 20 }),
        fc.array(fc.boolean(), { maxLength: 20 }),
        async (values, rejects) => {
          const conn = new Connection(new RecordingTransport(), info, true);
          const calls = values.map((_, i) => startCall(conn, 0, [i]));
          // What the collector copies with 200k calls queued: one resolving function a call.
          for (const call of calls) {
            const kept = Object.values(call).filter((v) => typeof v === 'function');
            expect(kept.length).toBe(1);
          }
          const outcomes = Promise.allSettled(calls.map((c) => c.promise));
          calls.forEach((call, i) => {
            if (rejects[i] === true) call.reject(values[i]);
            else call.resolve(values[i]);
            // A second outcome changes nothing.
            call.resolve('late');
            call.reject(new Error('late'));
          });
          const settled = await outcomes;
          settled.forEach((outcome, i) => {
            if (rejects[i] === true)
              expect(outcome).toEqual({ status: 'rejected', reason: values[i] });
            else expect(outcome).toEqual({ status: 'fulfilled', value: values[i] });
            // The very value: a rejection passes its error on, a thenable error is not adopted.
            const got = outcome.status === 'rejected' ? outcome.reason : outcome.value;
            if (rejects[i] === true || typeof values[i] !== 'object') expect(got).toBe(values[i]);
          });
          for (const call of calls) expect(call.settled).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });
});

/** A link whose host answers when the test says: it keeps what is posted, and delivers results. */
class AnsweringTransport extends RecordingTransport {
  private onMessage: ((message: Message) => void) | undefined;
  override listen(onMessage: (message: Message) => void): void {
    this.onMessage = onMessage;
  }
  answer(callId: number, status: Status, value: unknown): void {
    this.deliver(oneResult(callId, status, value));
  }
  deliver(message: Message): void {
    this.onMessage?.(message);
  }
  /** The wire id of each call sent so far, by its one argument. */
  ids(): Map<unknown, number> {
    const ids = new Map<unknown, number>();
    for (const batch of this.batches()) {
      forEachCall(batch, (id, _target, args) => ids.set((args as unknown[])[0], id));
    }
    return ids;
  }
}

type RecordOp =
  | { kind: 'call' }
  | { kind: 'answer'; pick: number; status: Status.Ok | Status.Cancelled | Status.Dropped }
  | { kind: 'cancel'; pick: number };

const recordOp: fc.Arbitrary<RecordOp> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'call' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('answer' as const),
      pick: fc.nat(),
      status: fc.constantFrom(
        Status.Ok as const,
        Status.Cancelled as const,
        Status.Dropped as const,
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  },
);

/** What the model expects of one call: pending, or settled with a value or an error's name. */
type Expected =
  | { state: 'pending' }
  | { state: 'fulfilled'; value: number }
  | { state: 'rejected'; name: string };

describe("settled calls' records (CallPool)", () => {
  test('the records a burst left go by halves, a look every 2 s, once no call takes them', async () => {
    // Calls leave at the end of their tick (a microtask): only the pool's timer is faked.
    jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
    try {
      // The first test in this file to settle a plain call: the pool starts empty.
      expect(pooledCalls()).toBe(0);
      const transport = new AnsweringTransport();
      const conn = new Connection(transport, info, true);
      const burst = async (n: number, from: number) => {
        const promises = Array.from({ length: n }, (_, k) => startPlainCall(conn, 0, [from + k]));
        await Promise.resolve();
        const ids = transport.ids();
        for (let k = 0; k < n; k++) transport.answer(ids.get(from + k) as number, Status.Ok, k);
        expect(await Promise.all(promises)).toEqual(Array.from({ length: n }, (_, k) => k));
      };
      await burst(500, 0);
      expect(pooledCalls()).toBe(500);
      // A burst between each two looks takes the records again: they stay.
      for (let look = 1; look <= 3; look++) {
        await burst(500, 1000 * look);
        jest.advanceTimersByTime(2000);
        expect(pooledCalls()).toBe(500);
      }
      // Looks with no call: half of what no call took goes each time, down to none.
      const left: number[] = [];
      while (pooledCalls() > 0 && left.length < 20) {
        jest.advanceTimersByTime(2000);
        left.push(pooledCalls());
      }
      expect(left).toEqual([250, 125, 62, 31, 15, 7, 3, 1, 0]);
      // Nothing left: the pool's timer is gone too.
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  test('keeps at most 262,144 records, however many calls a burst settles', async () => {
    const transport = new AnsweringTransport();
    const conn = new Connection(transport, info, true);
    const n = (1 << 18) + 5000;
    const promises = Array.from({ length: n }, (_, k) => startPlainCall(conn, 0, [k]));
    await Promise.resolve();
    const ids = transport.ids();
    for (let k = 0; k < n; k++) transport.answer(ids.get(k) as number, Status.Ok, k);
    await Promise.all(promises);
    expect(pooledCalls()).toBe(1 << 18);
  });

  test('property: a reused record never lets an old promise, its cancel or its answer touch the new call', async () => {
    let reused = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(recordOp, { minLength: 1, maxLength: 60 }), async (ops) => {
        const transport = new AnsweringTransport();
        const conn = new Connection(transport, info, true);
        const promises: Promise<unknown>[] = [];
        const expected: Expected[] = [];
        const records = new Set<Call>();
        const outcomes: PromiseSettledResult<unknown>[][] = [];
        const sent = async () => {
          // Calls leave at the end of the tick: their wire ids are then known.
          await Promise.resolve();
          return transport.ids();
        };
        for (const op of ops) {
          if (op.kind === 'call') {
            const k = promises.length;
            const promise = startPlainCall(conn, 0, [k]);
            const record = callOf(promise) as Call;
            if (records.has(record)) reused++;
            records.add(record);
            promises.push(promise);
            expected.push({ state: 'pending' });
            outcomes[k] = [];
            promise.then(
              (value) => outcomes[k]?.push({ status: 'fulfilled', value }),
              (reason) => outcomes[k]?.push({ status: 'rejected', reason }),
            );
            continue;
          }
          if (promises.length === 0) continue;
          const k = op.pick % promises.length;
          const was = expected[k] as Expected;
          if (op.kind === 'cancel') {
            // Settled (its record perhaps another call's now): nothing happens.
            expect(cancel(promises[k] as Promise<unknown>)).toBe(was.state === 'pending');
            if (was.state === 'pending')
              expected[k] = { state: 'rejected', name: 'CancelledError' };
          } else {
            const id = (await sent()).get(k) as number;
            // A late answer (a cancelled call the host skipped) settles nothing.
            transport.answer(id, op.status, k * 10);
            if (was.state !== 'pending') continue;
            if (op.status === Status.Ok) expected[k] = { state: 'fulfilled', value: k * 10 };
            else {
              const name = op.status === Status.Cancelled ? 'CancelledError' : 'ActorDiedError';
              expected[k] = { state: 'rejected', name };
            }
          }
        }
        await sent();
        await new Promise((resolve) => setImmediate(resolve));
        expected.forEach((want, k) => {
          const got = outcomes[k] as PromiseSettledResult<unknown>[];
          if (want.state === 'pending') expect(got).toEqual([]);
          else expect(got.length).toBe(1);
          const outcome = got[0];
          if (want.state === 'fulfilled')
            expect(outcome).toEqual({ status: 'fulfilled', value: want.value });
          if (want.state === 'rejected') {
            expect(outcome?.status).toBe('rejected');
            expect(((outcome as PromiseRejectedResult).reason as Error).name).toBe(want.name);
          }
        });
        // Pending calls are still the calls their promises name; settled ones are no call's.
        expected.forEach((want, k) => {
          const call = callOf(promises[k] as Promise<unknown>);
          if (want.state === 'pending') expect(call?.promise).toBe(promises[k]);
          else expect(call).toBeUndefined();
        });
      }),
      { numRuns: 200 },
    );
    // The property was about reuse: records were reused, many times.
    expect(reused).toBeGreaterThan(100);
  });
});

type QueueOp = { kind: 'push'; n: number } | { kind: 'shift'; n: number } | { kind: 'drain' };

const queueOp: fc.Arbitrary<QueueOp> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('push' as const),
      n: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 6000 })),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('shift' as const),
      n: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 6000 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const) }) },
);

type Entry = [endpoint: string, callId: number, target: number, args: unknown[], at: number];

describe("an actor's waiting calls (WaitingCalls)", () => {
  test('behave as a FIFO of whole calls, across growing, wrapping and emptying', () => {
    fc.assert(
      fc.property(fc.array(queueOp, { maxLength: 40 }), (ops) => {
        const queue = new WaitingCalls<string, number>();
        const model: Entry[] = [];
        let seq = 0;
        const head = (): Entry => [
          queue.endpoint,
          queue.callId,
          queue.target,
          queue.args,
          queue.queuedAt,
        ];
        for (const o of ops) {
          switch (o.kind) {
            case 'push':
              for (let i = 0; i < o.n; i++) {
                const s = seq++;
                const entry: Entry = [`e${s % 3}`, s, s % 7, [s], s / 2];
                queue.push(...entry);
                model.push(entry);
              }
              break;
            case 'shift':
              for (let i = 0; i < o.n && model.length > 0; i++) {
                const expected = model.shift() as Entry;
                const actual = head();
                if (actual.some((v, k) => v !== expected[k])) {
                  throw new Error(
                    `head ${JSON.stringify(actual)}, model ${JSON.stringify(expected)}`,
                  );
                }
                queue.shift();
              }
              break;
            case 'drain': {
              const drained: [string, number, number][] = [];
              queue.drain((endpoint, callId, target) => drained.push([endpoint, callId, target]));
              expect(drained).toEqual(model.map(([e, id, t]) => [e, id, t]));
              model.length = 0;
              break;
            }
          }
          if (queue.size !== model.length) {
            throw new Error(`size ${queue.size}, model ${model.length}`);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  test('an emptied queue lets go of the room a burst made it take', () => {
    const queue = new WaitingCalls<string, number>();
    for (let i = 0; i < 200_000; i++) queue.push('e', i, 0, [i], 0);
    for (let i = 0; i < 200_000; i++) queue.shift();
    // What it keeps: the block it is in and one spare, neither linking on to others.
    const internals = queue as unknown as { first: unknown[]; last: unknown[]; spare?: unknown[] };
    expect(internals.first).toBe(internals.last);
    const kept = [internals.first, internals.spare ?? []];
    for (const block of kept) {
      expect(block.length).toBeLessThan(4096);
      expect(block[block.length - 1]).toBeUndefined();
    }
    // A shifted call's arguments are not kept alive by the blocks (the one object a block
    // holds is its column of queue times).
    queue.push('e', 1, 0, [1], 0);
    queue.shift();
    for (const block of kept) {
      const objects = block.filter((slot) => typeof slot === 'object' && slot !== undefined);
      expect(objects.every((slot) => slot instanceof Float64Array)).toBe(true);
    }
  });
});
