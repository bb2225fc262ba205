import { afterAll, describe, expect, test } from '@jest/globals';
import {
  ActorDefinitionError,
  CancelledError,
  cancel,
  PendingCallsLimitError,
  SharedCounter,
  sharedArray,
  shutdown,
  spawn,
  TimeoutError,
  wait,
} from '@troupe/runtime';
import {
  Adder,
  Entries,
  GroupedAsync,
  GroupedThreaded,
  Spinner,
  Ticker,
} from './fixtures/dist/concurrency.js';
import { Counter } from './fixtures/dist/counter.js';
import { threadsOnly } from './support/transport.js';

afterAll(() => shutdown());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('concurrency groups', () => {
  test('on an async actor, a group whose calls never finish does not block another group', async () => {
    const grouped = spawn(GroupedAsync);
    const hung = [grouped.hang(), grouped.hang(), grouped.hang()];
    expect(await grouped.compute(21)).toBe(42);
    expect(await grouped.ping()).toBe('pong');
    await grouped.open();
    expect(await Promise.all(hung)).toEqual(['released', 'released', 'released']);
  });

  threadsOnly(
    'on a threaded actor each group has its own threads, and a per-call override uses them',
    async () => {
      const grouped = spawn(GroupedThreaded);
      await grouped.ready();
      const ioThreads = new Set(await Promise.all([grouped.wait(100), grouped.wait(100)]));
      expect(ioThreads.size).toBe(2);
      // io is saturated for 300 ms; compute and the default group still answer.
      const busy = [grouped.wait(300), grouped.wait(300)];
      const computeThread = await grouped.work();
      expect(ioThreads.has(computeThread)).toBe(false);
      expect(ioThreads.has(await grouped.ident())).toBe(false);
      await Promise.all(busy);
      const overridden = await grouped.work.options({ concurrencyGroup: 'io' })();
      expect(ioThreads.has(overridden)).toBe(true);
    },
  );

  test('an undeclared group is refused, naming the declared ones', async () => {
    const grouped = spawn(GroupedAsync);
    await expect(grouped.ping.options({ concurrencyGroup: 'gpu' })()).rejects.toThrow(
      /concurrency group 'gpu' is not declared; the actor's groups are: default, compute, io/,
    );
  });
});

describe('cancellation', () => {
  test('a queued call that is cancelled never runs and rejects with CancelledError', async () => {
    const entered = new SharedCounter();
    const entries = spawn(Entries, { args: [entered] });
    await entries.ready();
    const first = entries.step(100);
    const second = entries.step(1);
    await until(() => entered.get() === 1, 'the first call started');
    expect(cancel(second)).toBe(true);
    await expect(second).rejects.toBeInstanceOf(CancelledError);
    await expect(second).rejects.toThrow(/call 'step' on actor Entries#\d+ was cancelled/);
    expect(await first).toBe(100);
    expect(await entries.step(1)).toBe(1);
    expect(entered.get()).toBe(2);
    expect(cancel(first)).toBe(false);
  });

  test('a running async call rejects at once and sees its callSignal() abort', async () => {
    const entered = new SharedCounter();
    const entries = spawn(Entries, { args: [entered] });
    const controller = new AbortController();
    const watching = entries.watch.options({ signal: controller.signal })();
    await until(() => entered.get() === 1, 'the call started');
    controller.abort();
    await expect(watching).rejects.toBeInstanceOf(CancelledError);
    await until(() => entered.get() === 101, 'the method saw the abort');
  });

  test('callSignal() after the first await is refused with a clear error', async () => {
    const entries = spawn(Entries, { args: [new SharedCounter()] });
    await expect(entries.lateSignal()).rejects.toThrow(
      /callSignal\(\) must be called inside an actor method, before its first await/,
    );
  });

  threadsOnly(
    'a running sync call cancelled with force frees its thread for a new replica',
    async () => {
      const finished = new SharedCounter();
      const spinner = spawn(Spinner, { args: [finished] });
      await spinner.ready();
      const f = sharedArray(Int32Array, 4);
      const holding = spinner.hold(f);
      const { async, value } = Atomics.waitAsync(f, 0, 0);
      if (async) await value;
      expect(cancel(holding, { force: true })).toBe(true);
      await expect(holding).rejects.toBeInstanceOf(CancelledError);
      // Two calls that only return together: both threads must serve, the replaced one too.
      const met = await Promise.all([spinner.meet(f, 2), spinner.meet(f, 2)]);
      expect(new Set(met).size).toBe(2);
      // The held call never finished: its thread was ended, not waited for.
      expect(finished.get()).toBe(2);
    },
  );

  test('force is refused on a serial actor, whose one thread holds its state', async () => {
    const counter = spawn(Counter);
    const call = counter.track(1);
    expect(() => cancel(call, { force: true })).toThrow(ActorDefinitionError);
    expect(await call).toBe(1);
  });
});

describe('timeouts', () => {
  test('a per-call timeout removes a queued call, which never runs', async () => {
    const entered = new SharedCounter();
    const entries = spawn(Entries, { args: [entered] });
    await entries.ready();
    const first = entries.step(200);
    const second = entries.step.options({ timeoutMs: 50 })(1);
    const error = await second.catch((e: TimeoutError) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.timeoutMs).toBe(50);
    expect(error.message).toMatch(/call 'step' on actor Entries#\d+ timed out after 50 ms/);
    await first;
    expect(entered.get()).toBe(1);
  });

  test('a per-method timeout rejects the call with TimeoutError; if it had not started, it never does', async () => {
    const entered = new SharedCounter();
    const entries = spawn(Entries, { args: [entered] });
    await entries.ready();
    const f = sharedArray(Int32Array, 2);
    await expect(entries.gatedSlow(f)).rejects.toThrow(/call 'gatedSlow' .* timed out after 30 ms/);
    // Whether it started before its 30 ms ran out depends on the machine; what follows does not.
    const started = Atomics.load(f, 0);
    Atomics.store(f, 1, 1);
    Atomics.notify(f, 1);
    expect(await entries.step(0)).toBe(0);
    expect(entered.get()).toBe(started + 1);
  });

  test('a timeout aborts a running async call that watches its signal', async () => {
    const entered = new SharedCounter();
    const entries = spawn(Entries, { args: [entered] });
    await entries.ready();
    await expect(entries.watch.options({ timeoutMs: 50 })()).rejects.toBeInstanceOf(TimeoutError);
    // It started and saw the abort (its rejection waited for that), or it never started.
    expect(await entries.step(0)).toBe(0);
    expect([1, 102]).toContain(entered.get());
  });
});

describe('backpressure', () => {
  test('the 11th call over maxPendingCalls 10 is refused, and the limit frees up', async () => {
    const entries = spawn(Entries, { args: [new SharedCounter()] });
    const pending = Array.from({ length: 10 }, () => entries.step(20));
    const refused = await entries.step(1).catch((e: PendingCallsLimitError) => e);
    expect(refused).toBeInstanceOf(PendingCallsLimitError);
    expect(refused.message).toMatch(/already has 10 calls pending .*maxPendingCalls 10/);
    await Promise.all(pending);
    expect(await entries.step(1)).toBe(1);
  });
});

describe('result references', () => {
  test('a call result passed as an argument is resolved before the method runs', async () => {
    const adder = spawn(Adder);
    const other = spawn(Adder);
    const five = other.slow(5, 20);
    expect(await adder.add(five, other.slow(2, 1))).toBe(7);
  });

  test('a call with ready arguments is not held behind one waiting on its own', async () => {
    const adder = spawn(Adder);
    const source = spawn(Adder);
    const waiting = adder.add(source.slow(100, 300), 1);
    expect(await adder.add(1, 1)).toBe(2);
    expect(await adder.ran()).toEqual([2]);
    expect(await waiting).toBe(101);
  });

  test('on a serial actor, calls keep their order behind a call waiting on its arguments', async () => {
    const counter = spawn(Counter, { args: [0] });
    const source = spawn(Adder);
    const results = await Promise.all([
      counter.add(source.slow(10, 50)),
      counter.add(1),
      counter.add(100),
    ]);
    expect(results).toEqual([10, 11, 111]);
  });

  test('a call cancelled while it waits for its arguments rejects at once and never runs', async () => {
    const adder = spawn(Adder);
    const source = spawn(Adder);
    const gate = sharedArray(Int32Array, 1);
    const argument = source.gated(1, gate, 0);
    const held = adder.add(argument, 1);
    expect(cancel(held)).toBe(true);
    await expect(held).rejects.toThrow(/call 'add' on actor Adder#\d+ was cancelled/);
    // Its argument arrives now: a held call that did not honour the cancel would be sent.
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    expect(await argument).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await adder.ran()).toEqual([]);
  });

  test('a failed argument rejects the call, which never runs', async () => {
    const adder = spawn(Adder);
    await expect(adder.add(adder.fail('no input'), 1)).rejects.toThrow('no input');
    expect(await adder.ran()).toEqual([]);
  });

  test('wait() returns ready and pending calls, each in input order', async () => {
    const adder = spawn(Adder);
    const gates = sharedArray(Int32Array, 4);
    const calls = [0, 1, 2, 3].map((i) => adder.gated(i + 1, gates, i));
    const release = (i: number) => {
      Atomics.store(gates, i, 1);
      Atomics.notify(gates, i);
    };
    // Only the calls at 3 and 1 can finish (in that order), whatever the machine's speed.
    release(3);
    release(1);
    const { ready, pending } = await wait(calls, { numReturns: 2 });
    expect(ready).toEqual([calls[1], calls[3]]);
    expect(pending).toEqual([calls[0], calls[2]]);
    // The others cannot finish before their gates open: the timeout is what ends this wait.
    const timedOut = await wait(pending, { numReturns: 2, timeoutMs: 10 });
    expect(timedOut.ready).toEqual([]);
    expect(timedOut.pending).toEqual(pending);
    release(0);
    release(2);
    expect(await Promise.all(calls)).toEqual([1, 2, 3, 4]);
  });
});

describe('streaming', () => {
  function spawnTicker() {
    const produced = new SharedCounter();
    const closed = new SharedCounter();
    return { ticker: spawn(Ticker, { args: [produced, closed] }), produced, closed };
  }

  test('an async generator method is consumed as an AsyncIterable, all items in order', async () => {
    const { ticker } = spawnTicker();
    const items: number[] = [];
    for await (const item of ticker.count(100)) items.push(item);
    expect(items).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(await ticker.ping()).toBe('pong');
  });

  test('items arrive before the generator ends', async () => {
    const { ticker } = spawnTicker();
    // The generator cannot end until the gate opens, and the gate opens only once the first
    // item has arrived here: the test can only pass if items arrive as they are yielded.
    const gate = sharedArray(Int32Array, 1);
    const stream = ticker.gated(gate);
    expect(await stream.next()).toEqual({ value: 'first', done: false });
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    expect(await stream.next()).toEqual({ value: 'second', done: false });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  test('an error arrives after the items yielded before it', async () => {
    const { ticker } = spawnTicker();
    const items: number[] = [];
    const error = await (async () => {
      for await (const item of ticker.failing(3)) items.push(item);
    })().catch((e: Error) => e);
    expect(items).toEqual([0, 1, 2]);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe('stopped after 3');
  });

  test('the producer stays within a window of the consumer, and break stops the generator', async () => {
    const { ticker, produced, closed } = spawnTicker();
    let read = 0;
    for await (const _ of ticker.endless()) {
      if (++read === 5) {
        await sleep(100);
        // Backpressure: the generator ran only a window ahead of what was read.
        expect(produced.get()).toBeLessThanOrEqual(5 + 16 + 1);
        break;
      }
    }
    await until(() => closed.get() === 1, 'the generator ran its finally block');
    const after = produced.get();
    await sleep(50);
    expect(produced.get()).toBe(after);
    expect(await ticker.ping()).toBe('pong');
  });
});
