import { afterAll, describe, expect, test } from '@jest/globals';
import {
  ActorDiedError,
  type ActorHandle,
  ActorPool,
  ActorPoolError,
  ActorPoolTimeoutError,
  kill,
  RemoteError,
  SharedCounter,
  shutdown,
  spawn,
} from '@troupe/runtime';
import fc from 'fast-check';
import { DependentWorker } from './fixtures/dist/pool-relay.js';
import { PoolWorker } from './fixtures/dist/pool-worker.js';
import { SelfEnding } from './fixtures/dist/self-ending.js';
import { threadsOnly } from './support/transport.js';

type Worker = ActorHandle<PoolWorker>;

afterAll(() => shutdown());

/** Spawns `n` workers labelled w0, w1…, ready to take calls. */
async function workers(n: number, insideAll?: SharedCounter, peakAll?: SharedCounter) {
  const handles = Array.from({ length: n }, (_, i) =>
    spawn(PoolWorker, { args: [`w${i}`, insideAll, peakAll] }),
  );
  await Promise.all(handles.map((handle) => handle.ready()));
  return handles;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every value a promise settles with: its value, or its rejection reason. */
const settled = (promise: Promise<unknown>) =>
  promise.then(
    (value) => value,
    (error: unknown) => error,
  );

describe('ActorPool.map and mapUnordered', () => {
  test('map yields results in input order, though later inputs finish first', async () => {
    const pool = new ActorPool(await workers(2));
    const inputs: [number, number][] = [
      [1, 150],
      [2, 100],
      [3, 40],
      [4, 10],
      [5, 5],
    ];
    const results: number[] = [];
    for await (const doubled of pool.map((w, [v, ms]) => w.double(v, ms), inputs)) {
      results.push(doubled);
    }
    expect(results).toEqual([2, 4, 6, 8, 10]);
  });

  test('mapUnordered yields results in completion order', async () => {
    const pool = new ActorPool(await workers(2));
    // 1 holds w0 for 600 ms while w1 runs 2, then 3, then 4.
    const inputs: [number, number][] = [
      [1, 600],
      [2, 150],
      [3, 10],
      [4, 10],
    ];
    const results: number[] = [];
    for await (const doubled of pool.mapUnordered((w, [v, ms]) => w.double(v, ms), inputs)) {
      results.push(doubled);
    }
    expect(results).toEqual([4, 6, 8, 2]);
  });

  test('runs one call at a time per actor: each peaks at 1, the pool at its size', async () => {
    const insideAll = new SharedCounter();
    const peakAll = new SharedCounter();
    const handles = await workers(3, insideAll, peakAll);
    const pool = new ActorPool(handles);
    const values = Array.from({ length: 9 }, (_, i) => i);
    const results: number[] = [];
    for await (const doubled of pool.mapUnordered((w, v) => w.double(v, 80), values)) {
      results.push(doubled);
    }
    expect(results.sort((a, b) => a - b)).toEqual(values.map((v) => v * 2));
    // PoolWorker is async: sent two calls at once, it would run both (peak 2).
    const stats = await Promise.all(handles.map((handle) => handle.stats()));
    expect(stats.map((s) => s.peak)).toEqual([1, 1, 1]);
    expect(peakAll.get()).toBe(3);
    expect(insideAll.get()).toBe(0);
  });

  test('map stops reading and submitting values when the loop breaks early', async () => {
    const handles = await workers(2);
    const pool = new ActorPool(handles);
    let read = 0;
    let closed = false;
    function* values() {
      try {
        for (let v = 0; v < 1000; v++) {
          read++;
          yield v;
        }
      } finally {
        closed = true;
      }
    }
    for await (const doubled of pool.map((w, v) => w.double(v, 20), values())) {
      expect(doubled).toBe(0);
      break;
    }
    const readAtBreak = read;
    await sleep(200);
    expect(closed).toBe(true);
    expect(read).toBe(readAtBreak);
    // Two calls started at once, plus at most one per actor read ahead of the consumer.
    expect(read).toBeLessThanOrEqual(4);
    const started = (await Promise.all(handles.map((handle) => handle.stats()))).flatMap(
      (s) => s.started,
    );
    expect(started.sort((a, b) => a - b)).toEqual(Array.from({ length: read }, (_, i) => i));
    // Both actors are idle again, and the pool serves the next caller.
    expect(pool.popIdle()).not.toBeNull();
    expect(pool.popIdle()).not.toBeNull();
  });

  test('a rejected call ends map with its error', async () => {
    const pool = new ActorPool(await workers(1));
    const results: number[] = [];
    const loop = async () => {
      for await (const doubled of pool.map((w, v) => w.double(v), [1, -2, 3])) {
        results.push(doubled);
      }
    };
    await expect(loop()).rejects.toMatchObject({ name: 'NegativeValueError' });
    expect(results).toEqual([2]);
  });
});

describe('ActorPool.submit and getNext', () => {
  test('values submitted while every actor is busy start in submission order', async () => {
    const [w] = await workers(1);
    const pool = new ActorPool<Worker, string>([w]);
    for (const v of [1, 2, 3, 4]) pool.submit((actor, x) => actor.tag(x, 20), v);
    expect(pool.hasFree()).toBe(false);
    const results: string[] = [];
    while (pool.hasNext()) results.push(await pool.getNext());
    expect(results).toEqual(['w0:1', 'w0:2', 'w0:3', 'w0:4']);
    expect(await w.stats()).toEqual({ peak: 1, started: [1, 2, 3, 4] });
    expect(pool.hasFree()).toBe(true);
  });

  test('getNext returns results in submission order, then refuses when none is pending', async () => {
    const pool = new ActorPool<Worker, number>(await workers(2));
    for (const [v, ms] of [
      [1, 150],
      [2, 80],
      [3, 10],
      [4, 5],
    ]) {
      pool.submit((w, x) => w.double(x, ms), v);
    }
    expect(pool.hasNext()).toBe(true);
    const results = [await pool.getNext(), await pool.getNext()];
    results.push(await pool.getNext(), await pool.getNext());
    expect(results).toEqual([2, 4, 6, 8]);
    expect(pool.hasNext()).toBe(false);
    await expect(pool.getNext()).rejects.toThrow(
      /ActorPool.getNext\(\): no result is pending \(hasNext\(\) is false\)/,
    );
    await expect(pool.getNextUnordered()).rejects.toBeInstanceOf(ActorPoolError);
  });

  test('getNext after getNextUnordered, while results remain, is an error', async () => {
    const pool = new ActorPool<Worker, number>(await workers(2));
    pool.submit((w, v) => w.double(v, 400), 1);
    pool.submit((w, v) => w.double(v, 10), 2);
    pool.submit((w, v) => w.double(v, 10), 3);
    expect(await pool.getNextUnordered()).toBe(4);
    const refused = pool.getNext();
    await expect(refused).rejects.toBeInstanceOf(ActorPoolError);
    await expect(refused).rejects.toThrow(
      /getNext\(\) cannot follow getNextUnordered\(\) while results remain.*until hasNext\(\) is false/,
    );
    expect([await pool.getNextUnordered(), await pool.getNextUnordered()]).toEqual([6, 2]);
    // Every result taken: getNext is allowed again.
    pool.submit((w, v) => w.double(v), 5);
    expect(await pool.getNext()).toBe(10);
  });

  test('a timeout names the call it waited for, and the result stays next in line', async () => {
    const pool = new ActorPool<Worker, number>(await workers(1));
    pool.submit((w, v) => w.double(v, 800), 1);
    pool.submit((w, v) => w.double(v), 2);
    const timedOut = await settled(pool.getNext(30));
    expect(timedOut).toBeInstanceOf(ActorPoolTimeoutError);
    expect(timedOut).toMatchObject({ method: 'getNext', timeoutMs: 30, call: 0 });
    expect((timedOut as Error).message).toMatch(
      /getNext\(30\): submitted call #0 \(running on PoolWorker\S*\) did not finish within 30 ms/,
    );
    await expect(pool.getNextUnordered(30)).rejects.toThrow(
      /getNextUnordered\(30\): none of the 2 pending calls \(#0 on PoolWorker\S*, #1 waiting for an actor\) finished within 30 ms/,
    );
    expect(await pool.getNext()).toBe(2);
    expect(await pool.getNext()).toBe(4);
  });

  test('a method error is that call’s result, and the actor stays in the pool', async () => {
    const [w] = await workers(1);
    const pool = new ActorPool<Worker, number>([w]);
    pool.submit((actor, v) => actor.double(v), -1);
    pool.submit((actor, v) => actor.double(v), 2);
    const failure = await settled(pool.getNext());
    expect(failure).toBeInstanceOf(RemoteError);
    expect(failure).toMatchObject({ name: 'NegativeValueError', message: 'w0 refuses -1' });
    expect(await pool.getNext()).toBe(4);
    expect(pool.popIdle()).toBe(w);
  });
});

describe('ActorPool membership', () => {
  test('a killed actor leaves the pool and the remaining values run on the others', async () => {
    const handles = await workers(3);
    const pool = new ActorPool<Worker, string>(handles);
    // w1 is killed while it runs 1; 3, 4 and 5 wait for an actor meanwhile.
    for (let v = 0; v < 6; v++) pool.submit((w, x) => w.tag(x, x < 3 ? 400 : 10), v);
    await sleep(50);
    await kill(handles[1]);
    const outcomes: unknown[] = [];
    while (pool.hasNext()) outcomes.push(await settled(pool.getNext()));
    expect(outcomes[1]).toBeInstanceOf(ActorDiedError);
    expect(outcomes[0]).toBe('w0:0');
    expect(outcomes[2]).toBe('w2:2');
    for (const v of [3, 4, 5]) expect(outcomes[v]).toMatch(new RegExp(`^w[02]:${v}$`));
    // Only w0 and w2 are left.
    const left = [pool.popIdle(), pool.popIdle(), pool.popIdle()];
    expect(left).toContain(handles[0]);
    expect(left).toContain(handles[2]);
    expect(left[2]).toBeNull();
  });

  test('when the last actor dies, the values waiting for one reject with a clear error', async () => {
    const [w] = await workers(1);
    const pool = new ActorPool<Worker, string>([w]);
    for (let v = 0; v < 3; v++) pool.submit((actor, x) => actor.tag(x, 2000), v);
    await sleep(50);
    await kill(w);
    const outcomes = [
      await settled(pool.getNext()),
      await settled(pool.getNext()),
      await settled(pool.getNext()),
    ];
    expect(outcomes[0]).toBeInstanceOf(ActorDiedError);
    for (const outcome of outcomes.slice(1)) {
      expect(outcome).toBeInstanceOf(ActorPoolError);
      expect((outcome as Error).message).toMatch(
        /ActorPool has no actors left \(the last one died: .*\), so this value was never run\. push\(\) a live actor/,
      );
    }
    const tags: string[] = [];
    const loop = async () => {
      for await (const tag of pool.map((actor, v) => actor.tag(v), [1])) tags.push(tag);
    };
    await expect(loop()).rejects.toThrow(/ActorPool has no actors left/);
    expect(tags).toEqual([]);
  });

  test('popIdle takes idle actors out, push puts them back, hasFree tracks idle ones', async () => {
    const [a, b] = await workers(2);
    const pool = new ActorPool<Worker, number>([a, b]);
    expect(pool.hasFree()).toBe(true);
    expect(pool.popIdle()).toBe(a);
    pool.submit((w, v) => w.double(v, 150), 1);
    expect(pool.hasFree()).toBe(false);
    expect(pool.popIdle()).toBeNull();
    expect(() => pool.push(b)).toThrow(/is already in this pool/);
    pool.submit((w, v) => w.double(v), 2);
    // The value waiting for an actor starts on `a` as soon as it is pushed.
    pool.push(a);
    expect(pool.hasFree()).toBe(false);
    expect([await pool.getNext(), await pool.getNext()]).toEqual([2, 4]);
    expect((await a.stats()).started).toEqual([2]);
    expect((await b.stats()).started).toEqual([1]);
    expect(pool.hasFree()).toBe(true);
  });
});

describe('ActorPool.map starts work when called', () => {
  test('every idle actor gets a value at once, before any result is read', async () => {
    const handles = await workers(2);
    const pool = new ActorPool(handles);
    const results = pool.map((w, v) => w.double(v, 0), [0, 1, 2, 3]);
    // Sent after map's calls, so answered after they started (an async actor starts in order).
    const started = await Promise.all(handles.map((handle) => handle.stats()));
    expect(started.map((s) => s.started)).toEqual([[0], [1]]);
    const read: number[] = [];
    for await (const doubled of results) read.push(doubled);
    expect(read).toEqual([0, 2, 4, 6]);
  });

  test('keeps the actors busy while nobody reads, and its results never reach getNext', async () => {
    const handles = await workers(2);
    const pool = new ActorPool(handles);
    const results = pool.map((w, v) => w.double(v, 5), [0, 1, 2, 3, 4, 5]);
    // A value submitted after the map waits behind all of the map's values.
    pool.submit((w, v) => w.double(v), 100);
    expect(await pool.getNext()).toBe(200);
    expect(pool.hasNext()).toBe(false);
    const started = (await Promise.all(handles.map((handle) => handle.stats()))).flatMap(
      (s) => s.started,
    );
    expect(started.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 100]);
    const read: number[] = [];
    for await (const doubled of results) read.push(doubled);
    expect(read).toEqual([0, 2, 4, 6, 8, 10]);
  });

  test('return() before reading anything stops it: unstarted values are never read', async () => {
    const pool = new ActorPool(await workers(1));
    let read = 0;
    function* values() {
      for (let v = 0; v < 100; v++) {
        read++;
        yield v;
      }
    }
    const results = pool.map((w, v) => w.double(v, 0), values());
    expect(read).toBe(1);
    await results.return(undefined);
    pool.submit((w, v) => w.double(v), 7);
    expect(await pool.getNext()).toBe(14);
    expect(read).toBe(1);
  });
});

describe('ActorPool membership and cost', () => {
  // The dependency ends its own worker (process.exit): worker threads only.
  threadsOnly(
    'a member whose method passes on a dead dependency’s ActorDiedError stays in the pool',
    async () => {
      const dependency = spawn(SelfEnding);
      const member = spawn(DependentWorker, { args: [dependency] });
      const pool = new ActorPool([member]);
      pool.submit((w) => w.endDependency(), undefined);
      const error = await settled(pool.getNext());
      expect(error).toMatchObject({ name: 'ActorDiedError' });
      expect(error).toBeInstanceOf(RemoteError);
      // Still a member: it is idle again, not dropped.
      expect(pool.hasFree()).toBe(true);
      expect(pool.popIdle()).toBe(member);
    },
  );

  test('submitting 40k values while every actor is busy costs time linear in the values', async () => {
    // Plain objects stand in for actors: the pool's own bookkeeping is what is measured.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pool = new ActorPool<object, number>([{}, {}]);
    const n = 40_000;
    const later = async (_a: object, x: number) => {
      await gate;
      return x;
    };
    for (let v = 0; v < n; v++) pool.submit(later, v);
    release();
    let sum = 0;
    while (pool.hasNext()) sum += await pool.getNext();
    expect(sum).toBe((n * (n - 1)) / 2);
  });

  test('property: submit results come back in submission order, map results in input order, never mixed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.oneof(fc.constant('submit' as const), fc.constant('map' as const)), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
        async (size, plan, order) => {
          // Calls settle when the test says, in an order drawn by fast-check.
          const pending: (() => void)[] = [];
          const call = (v: number) =>
            new Promise<number>((resolve) => pending.push(() => resolve(v)));
          const pool = new ActorPool<object, number>(Array.from({ length: size }, () => ({})));
          const submitted = plan.flatMap((kind, i) => (kind === 'submit' ? [i] : []));
          const mapped = plan.flatMap((kind, i) => (kind === 'map' ? [1000 + i] : []));
          const mapResults = pool.map((_a, v: number) => call(v), mapped);
          for (const v of submitted) pool.submit((_a, x: number) => call(x), v);
          let k = 0;
          while (pending.length > 0) {
            const at = (order[k++ % order.length] as number) % pending.length;
            const [settle] = pending.splice(at, 1);
            settle?.();
            await new Promise((resolve) => setImmediate(resolve));
          }
          const fromGetNext: number[] = [];
          while (pool.hasNext()) fromGetNext.push(await pool.getNext());
          expect(fromGetNext).toEqual(submitted);
          const fromMap: number[] = [];
          for await (const v of mapResults) fromMap.push(v);
          expect(fromMap).toEqual(mapped);
        },
      ),
      { numRuns: 50 },
    );
  });
});
