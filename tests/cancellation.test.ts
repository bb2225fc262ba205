/**
 * Cancellation and timeouts, as Ray's: started-or-cancelled is decided by one compare-and-swap on
 * shared memory, so a call that had not started never runs, even when its actor is too busy to
 * read a message. Every test waits on handshakes (flags the actor sets in shared memory), never
 * on time.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from '@jest/globals';
import {
  ActorPool,
  CancelledError,
  cancel,
  kill,
  listActors,
  SharedCounter,
  shutdown,
  spawn,
  TimeoutError,
  wait,
} from '@troupe/runtime';
import fc from 'fast-check';
import { Blocker, Parent, SlowStart, Watcher } from './fixtures/dist/cancellation.js';
import { Counter } from './fixtures/dist/counter.js';
import { threadsOnly } from './support/transport.js';

afterAll(() => shutdown());

const run = promisify(execFile);

function flags(n = 8): Int32Array {
  return new Int32Array(new SharedArrayBuffer(n * 4));
}

/** Resolves once `f[slot]` is not 0, without blocking this thread. */
async function until(f: Int32Array, slot: number): Promise<void> {
  const waited = Atomics.waitAsync(f, slot, 0);
  if (waited.async) await waited.value;
}

function open(f: Int32Array, slot: number): void {
  Atomics.store(f, slot, 1);
  Atomics.notify(f, slot);
}

/** One turn of the event loop: calls made before it have been sent. */
function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether a promise has settled by the time the queued macrotasks ran. */
async function settledYet(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('a call that has not started', () => {
  threadsOnly(
    'cancelled while the worker is busy in a sync call, it rejects at once and never runs',
    async () => {
      const started = flags(1);
      const blocker = spawn(Blocker, { args: [started] });
      const f = flags();
      const busy = blocker.block(f);
      await until(f, 0);
      // The worker is blocked: it cannot read a cancel message until the gate opens.
      const queued = Array.from({ length: 20 }, () => blocker.step());
      const outcomes = Promise.allSettled(queued);
      // The calls have left for the worker (a cancel cannot take them out of a batch unsent).
      await macrotask();
      expect(queued.map((call) => cancel(call))).toEqual(Array(20).fill(true));
      for (const outcome of await outcomes) {
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(CancelledError);
      }
      open(f, 1);
      expect(await busy).toBe('unblocked');
      expect(await blocker.ran()).toBe(1);
    },
  );

  test("its CancelledError's stack starts where the user called cancel(), not inside Troupe", async () => {
    const counter = spawn(Counter);
    await counter.ready();
    // A named function, so that its frame can be looked for in the stack.
    function cancelFromHere(call: Promise<unknown>): boolean {
      return cancel(call);
    }
    const calls = Array.from({ length: 3 }, () => counter.add(1));
    const outcomes = Promise.allSettled(calls);
    expect(cancelFromHere(calls[2] as Promise<unknown>)).toBe(true);
    const error = ((await outcomes)[2] as PromiseRejectedResult).reason as CancelledError;
    expect(error).toBeInstanceOf(CancelledError);
    const frames = (error.stack ?? '').split('\n').slice(1);
    expect(frames[0]).toMatch(/cancelFromHere/);
    expect(error.stack).toMatch(/^CancelledError: call 'add' on actor Counter#\d+ was cancelled/);
    await kill(counter);
  });

  threadsOnly('cancelled while the constructor runs, it never runs', async () => {
    const started = flags(1);
    const gate = flags(2);
    const slow = spawn(SlowStart, { args: [started, gate] });
    await until(gate, 1);
    const queued = [slow.step(), slow.step()];
    const outcomes = Promise.allSettled(queued);
    await macrotask();
    const timedOut = slow.step.options({ timeoutMs: 1 })();
    for (const call of queued) expect(cancel(call)).toBe(true);
    await expect(timedOut).rejects.toBeInstanceOf(TimeoutError);
    for (const outcome of await outcomes) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(CancelledError);
    }
    open(gate, 0);
    expect(await slow.step()).toBe(1);
  });

  test('property: of calls queued behind a busy one, exactly the uncancelled ones run', async () => {
    const started = flags(1);
    const blocker = spawn(Blocker, { args: [started] });
    await blocker.ready();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }), async (picks) => {
        const before = await blocker.ran();
        const f = flags();
        const busy = blocker.block(f);
        await until(f, 0);
        const calls = picks.map(() => blocker.step());
        const settled = Promise.allSettled(calls);
        await macrotask();
        const cancelled = picks.map((pick, i) => pick && cancel(calls[i] as Promise<number>));
        expect(cancelled).toEqual(picks);
        open(f, 1);
        await busy;
        const outcomes = await settled;
        outcomes.forEach((outcome, i) => {
          if (picks[i]) {
            expect(outcome.status).toBe('rejected');
            expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(CancelledError);
          } else expect(outcome.status).toBe('fulfilled');
        });
        const ran = picks.filter((pick) => !pick).length;
        expect(await blocker.ran()).toBe(before + 1 + ran);
      }),
      { numRuns: 15 },
    );
  });

  test('property: on a threaded actor, calls cancelled before a thread started them free it', async () => {
    const { Busy } = await import('./fixtures/dist/threaded.js');
    const busy = spawn(Busy, {
      maxConcurrency: 2,
      args: [new SharedCounter(), new SharedCounter()],
    });
    await busy.ready();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), async (picks) => {
        const before = await busy.count();
        // Cancelled in the tick they were made: the first ones were handed to a thread (their
        // batch not even sent), the rest wait for one; none has started.
        const calls = picks.map(() => busy.bump());
        const cancelled = picks.map((pick, i) => pick && cancel(calls[i] as Promise<number>));
        expect(cancelled).toEqual(picks);
        // Every call settles: a thread handed a call that never starts takes the next one.
        const outcomes = await Promise.allSettled(calls);
        outcomes.forEach((outcome, i) => {
          if (picks[i]) {
            expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(CancelledError);
          } else expect(outcome.status).toBe('fulfilled');
        });
        expect(await busy.count()).toBe(before + picks.filter((pick) => !pick).length);
      }),
      { numRuns: 20 },
    );
    await kill(busy);
  });

  test('a serial call held on a never-settling argument, once cancelled, holds nothing back', async () => {
    const counter = spawn(Counter, { args: [0] });
    const held = counter.add(new Promise<number>(() => {}));
    expect(cancel(held)).toBe(true);
    await expect(held).rejects.toBeInstanceOf(CancelledError);
    expect(await counter.add(1)).toBe(1);
    expect(await counter.add(2)).toBe(3);
  });
});

describe('a running call', () => {
  test('a sync call rejects at once, and isCancelled() turns true inside it', async () => {
    const blocker = spawn(Blocker, { args: [flags(1)] });
    const f = flags();
    const polling = blocker.poll(f);
    await until(f, 0);
    expect(cancel(polling)).toBe(true);
    await expect(polling).rejects.toBeInstanceOf(CancelledError);
    await until(f, 2);
    // Its thread is free again once the method returned.
    expect(await blocker.step()).toBe(2);
  });

  test('a timeout stops a running sync call the same way', async () => {
    const blocker = spawn(Blocker, { args: [flags(1)] });
    await blocker.ready();
    const f = flags();
    const error = await blocker.poll
      .options({ timeoutMs: 20 })(f)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    // Started before its timeout (then it saw isCancelled() turn true), or never started.
    const ran = await blocker.ran();
    expect(Atomics.load(f, 2)).toBe(ran);
  });

  test('an async call that watches its signal rejects only after its abort handling', async () => {
    const watcher = spawn(Watcher);
    const f = flags();
    const watching = watcher.watch(f);
    await until(f, 0);
    expect(cancel(watching)).toBe(true);
    expect(cancel(watching)).toBe(false);
    await until(f, 1);
    expect(await settledYet(watching)).toBe(false);
    open(f, 2);
    await expect(watching).rejects.toBeInstanceOf(CancelledError);
    expect(Atomics.load(f, 3)).toBe(1);
  });

  test('an abort handling that never ends is cut at the grace', async () => {
    const watcher = spawn(Watcher);
    const f = flags();
    const stuck = watcher.stuck(f);
    await until(f, 0);
    expect(cancel(stuck, { graceMs: 10 })).toBe(true);
    await expect(stuck).rejects.toBeInstanceOf(CancelledError);
    await kill(watcher);
  });

  test('an async call that does not watch its signal rejects at once', async () => {
    const watcher = spawn(Watcher);
    const f = flags();
    const gated = watcher.gated(f);
    await until(f, 0);
    expect(cancel(gated)).toBe(true);
    await expect(gated).rejects.toBeInstanceOf(CancelledError);
    open(f, 1);
  });
});

describe('recursive cancel', () => {
  for (const late of [false, true]) {
    test(`cancelling a call cancels the call it made${late ? ' after an await' : ''}`, async () => {
      const parent = spawn(Parent);
      const child = spawn(Watcher);
      const f = flags();
      const relaying = parent.relay(child, f, late);
      const outcome = relaying.catch((e: unknown) => e);
      await until(f, 0);
      expect(cancel(relaying)).toBe(true);
      // The child's call sees its signal abort: only the recursive cancel could do that.
      await until(f, 1);
      open(f, 2);
      expect(await outcome).toBeInstanceOf(CancelledError);
    });
  }

  test('{ recursive: false } leaves the calls it made running', async () => {
    const parent = spawn(Parent);
    const child = spawn(Watcher);
    const f = flags();
    const relaying = parent.relay(child, f, false);
    await until(f, 0);
    expect(cancel(relaying, { recursive: false })).toBe(true);
    await expect(relaying).rejects.toBeInstanceOf(CancelledError);
    // The child's call was not aborted: a second cancel, from here, is what aborts it.
    expect(Atomics.load(f, 1)).toBe(0);
    const direct = child.watch(f);
    await until(f, 0);
    expect(cancel(direct)).toBe(true);
    open(f, 2);
    await expect(direct).rejects.toBeInstanceOf(CancelledError);
    // The parent's call still waits for the child's first call, which nobody cancelled.
    await Promise.all([kill(parent), kill(child)]);
  });
});

describe('numeric options', () => {
  const outOfRange = (max: number) =>
    fc.oneof(
      fc.constant(Number.NaN),
      fc.constant(Number.NEGATIVE_INFINITY),
      fc.double({ max: -Number.MIN_VALUE, noNaN: true }).filter((v) => v !== -1),
      fc.double({ min: max + 1, noNaN: true, noDefaultInfinity: true }),
    );

  test('property: an out-of-range timeoutMs throws a TypeError at once and sends nothing', async () => {
    const blocker = spawn(Blocker, { args: [flags(1)] });
    const before = await blocker.ran();
    fc.assert(
      fc.property(outOfRange(2 ** 31 - 1), (timeoutMs) => {
        expect(() => blocker.step.options({ timeoutMs })).toThrow(TypeError);
        expect(() => blocker.step.options({ timeoutMs })).toThrow(/timeoutMs must be/);
        expect(() => wait([], { numReturns: 0, timeoutMs })).toThrow(TypeError);
        expect(() => shutdown({ timeoutMs })).toThrow(TypeError);
      }),
    );
    expect(await blocker.ran()).toBe(before);
  });

  test('property: an out-of-range maxConcurrency throws at once and starts nothing', () => {
    const actors = listActors().length;
    fc.assert(
      fc.property(
        fc.oneof(outOfRange(1024), fc.integer({ min: 1025, max: 10_000_000 }), fc.constant(0.5)),
        (maxConcurrency) => {
          // Watcher is async (no limit on its event loop but a whole number >= 1);
          // Threaded ones are at most 1024 threads.
          if (maxConcurrency <= 1024 || Number.isNaN(maxConcurrency) || maxConcurrency < 1) {
            expect(() => spawn(Watcher, { maxConcurrency })).toThrow(TypeError);
          }
          expect(() => spawn(Blocker, { args: [flags(1)], maxConcurrency })).toThrow();
        },
      ),
    );
    expect(listActors().length).toBe(actors);
  });

  test('a threaded maxConcurrency of 1e6 is refused, naming the range', async () => {
    const { Busy } = await import('./fixtures/dist/threaded.js');
    expect(() => spawn(Busy, { maxConcurrency: 1e6 } as never)).toThrow(
      /maxConcurrency must be a whole number from 1 to 1024, not 1000000/,
    );
  });

  test('Infinity is no limit: a call with timeoutMs Infinity does not time out', async () => {
    const watcher = spawn(Watcher);
    const f = flags();
    const call = watcher.gated.options({ timeoutMs: Number.POSITIVE_INFINITY })(f);
    const byMethod = watcher.noLimit(flags());
    const byMethodOutcome = byMethod.catch((e: unknown) => e);
    await until(f, 0);
    // A round trip to the actor takes longer than the 1 ms an unchecked Infinity gave.
    await watcher.gated(Object.assign(flags(), { 1: 1 }));
    open(f, 1);
    expect(await call).toBe('opened');
    expect(cancel(byMethod)).toBe(true);
    expect(await byMethodOutcome).toBeInstanceOf(CancelledError);
    const { ready } = await wait([watcher.gated(Object.assign(flags(), { 1: 1 }))], {
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    expect(ready).toHaveLength(1);
    await kill(watcher);
  });

  test('ActorPool refuses an out-of-range timeoutMs with a TypeError', async () => {
    const pool = new ActorPool([spawn(Watcher)]);
    await expect(pool.getNext(Number.NaN)).rejects.toThrow(TypeError);
  });
});

describe('unhandled rejections and shutdown', () => {
  const script = fileURLToPath(new URL('./fixtures/dist/cancel-script.js', import.meta.url));

  threadsOnly(
    'an unawaited call with options, a method timeout or maxPendingCalls reports its rejection',
    async () => {
      const { stdout } = await run(process.execPath, [script, 'unhandled']);
      expect(JSON.parse(stdout)).toEqual({ unhandled: Array(3).fill('nobody awaits this') });
    },
  );

  threadsOnly('shutdown() without timeoutMs ends a call that never settles after 5 s', async () => {
    const { stdout, stderr } = await run(process.execPath, [script, 'shutdown']);
    expect(stdout.trim()).toBe('shut down');
    expect(stderr).toMatch(
      /shutdown\(\): still waiting for actor Watcher#\d+: 1 call still running/,
    );
  });
});
