import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from '@jest/globals';
import {
  ActorDiedError,
  exitActor,
  listActors,
  SharedCounter,
  shutdown,
  spawn,
  terminate,
} from '@troupe/runtime';
import fc from 'fast-check';
import { Counter } from './fixtures/dist/counter.js';
import {
  AsyncQuitter,
  Bystander,
  Hog,
  Holder,
  QuitsAtBirth,
  Quitter,
  Stubborn,
  ThreadedQuitter,
} from './fixtures/dist/ending.js';
import { Cell, newCells, reach, release } from './support/handshake.js';

const run = promisify(execFile);

afterAll(() => shutdown());

/** The error a call rejected with, failing the test if it resolved. */
async function failure(call: Promise<unknown>): Promise<ActorDiedError> {
  const settled = await call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in settled)) throw new Error(`expected a rejection, got ${String(settled.value)}`);
  expect(settled.error).toBeInstanceOf(ActorDiedError);
  return settled.error as ActorDiedError;
}

function isLive(name: string): boolean {
  return listActors().some((a) => a.name === name);
}

describe('exitActor()', () => {
  test('ends the actor now: its call rejects naming exitActor, queued calls never start, onShutdown and exit handlers run', async () => {
    const cells = newCells();
    const quitter = spawn(Quitter, { args: [cells], name: 'quitter', maxRestarts: 2 });
    await quitter.ready();
    const quit = failure(quitter.quit());
    const queued = failure(quitter.work());
    const byQuit = await quit;
    expect(byQuit.message).toMatch(
      /Actor quitter ended \(it called exitActor\(\)\) while call 'quit' was running/,
    );
    expect(byQuit.mayHaveRun).toBe(true);
    const notStarted = await queued;
    expect(notStarted.message).toMatch(
      /Actor quitter ended \(it called exitActor\(\)\) before call 'work' started/,
    );
    expect(notStarted.mayHaveRun).toBe(false);
    // terminate() of an actor that is ending resolves once it has ended.
    await terminate(quitter);
    expect(Atomics.load(cells, Cell.Ended)).toBe(110);
    // Not restarted, despite maxRestarts.
    expect(isLive('quitter')).toBe(false);
    const later = await failure(quitter.work());
    expect(later.message).toMatch(/Actor quitter is dead \(it called exitActor\(\)\)/);
    expect(later.mayHaveRun).toBe(false);
  });

  test('a method that catches its signal ends the actor all the same', async () => {
    const cells = newCells();
    const quitter = spawn(Quitter, { args: [cells] });
    const caught = await failure(quitter.swallow());
    expect(caught.message).toMatch(/called exitActor\(\)\) while call 'swallow' was running/);
    await terminate(quitter);
    expect(Atomics.load(cells, Cell.Ended)).toBe(110);
    await failure(quitter.work());
  });

  test('works from background work (a timer), outside any call', async () => {
    const cells = newCells();
    const quitter = spawn(Quitter, { args: [cells], name: 'timer-quitter', maxRestarts: 1 });
    expect(await quitter.quitLater()).toBe('scheduled');
    await reach(cells, Cell.Ended, 110);
    await terminate(quitter);
    expect(isLive('timer-quitter')).toBe(false);
    expect((await failure(quitter.work())).message).toMatch(/it called exitActor\(\)/);
  });

  test.each([
    [false, 100],
    [true, 110],
  ])(
    'works from the constructor (signal caught: %p): ready() and calls reject, no restart',
    async (catchIt, marks) => {
      const cells = newCells();
      const born = spawn(QuitsAtBirth, { args: [cells, catchIt], maxRestarts: 2 });
      const work = failure(born.work());
      const ready = await failure(born.ready());
      expect(ready.message).toMatch(/it called exitActor\(\)/);
      expect((await work).message).toMatch(/it called exitActor\(\)/);
      await terminate(born);
      // onShutdown() runs only where the constructor built the instance (it caught the signal).
      expect(Atomics.load(cells, Cell.Ended)).toBe(marks);
      await failure(born.work());
    },
  );

  test('on an async actor, calls still running reject with mayHaveRun: true, and no other call starts', async () => {
    const cells = newCells();
    const quitter = spawn(AsyncQuitter, { args: [cells] });
    const settlesInGrace = failure(quitter.untilShutdown());
    const never = failure(quitter.forever());
    await reach(cells, Cell.Started, 2);
    const quit = failure(quitter.quit());
    const after = failure(quitter.ping());
    expect((await quit).mayHaveRun).toBe(true);
    const inGrace = await settlesInGrace;
    expect(inGrace.mayHaveRun).toBe(true);
    expect(inGrace.message).toMatch(/ended \(it called exitActor\(\)\) while call 'untilShutdown'/);
    const cut = await never;
    expect(cut.mayHaveRun).toBe(true);
    expect(cut.message).toMatch(/it called exitActor\(\)/);
    const notStarted = await after;
    expect(notStarted.mayHaveRun).toBe(false);
    await terminate(quitter);
    expect(Atomics.load(cells, Cell.Ended)).toBe(110);
  });

  test('after an await, the calling call rejects naming exitActor', async () => {
    const cells = newCells();
    const quitter = spawn(AsyncQuitter, { args: [cells] });
    const error = await failure(quitter.quitAfterAwait());
    expect(error.message).toMatch(/called exitActor\(\)\) while call 'quitAfterAwait' was running/);
    await terminate(quitter);
    expect(Atomics.load(cells, Cell.Ended)).toBe(110);
  });

  test('in one replica of a threaded actor ends every replica, each running onShutdown and its exit handlers', async () => {
    const cells = newCells();
    const quitter = spawn(ThreadedQuitter, { args: [cells] });
    await quitter.ready();
    expect((await failure(quitter.quit())).mayHaveRun).toBe(true);
    await terminate(quitter);
    expect(Atomics.load(cells, Cell.Ended)).toBe(220);
    await failure(quitter.work());
  });

  test('a caller in another thread learns it too: its calls reject naming exitActor', async () => {
    const cells = newCells();
    const quitter = spawn(Quitter, { args: [cells] });
    const bystander = spawn(Bystander);
    await bystander.keep(quitter);
    expect(await bystander.call('work')).toEqual({ value: 1 });
    expect(await bystander.call('quit')).toEqual({
      name: 'ActorDiedError',
      message: expect.stringMatching(/called exitActor\(\)\) while call 'quit' was running/),
      mayHaveRun: true,
    });
    await terminate(quitter);
    // Whether the call left before the bystander saw the link close or after, it names why.
    const later = await bystander.call('work');
    expect(later.name).toBe('ActorDiedError');
    expect(later.message).toMatch(/Actor Quitter#\d+ is dead \(it called exitActor\(\)\)/);
  });

  test('a sync onShutdown() that never returns is cut at the grace', async () => {
    const marks = new SharedCounter();
    const stubborn = spawn(Stubborn, { args: [marks], name: 'stubborn' });
    await failure(stubborn.quit());
    await terminate(stubborn);
    expect(marks.get()).toBe(1);
    expect(isLive('stubborn')).toBe(false);
  });

  test('whatever calls share its batch: those before it ran, it may have run, those after never start', async () => {
    const op = fc.constantFrom('call', 'quit', 'swallow');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('serial', 'async'),
        fc
          .array(op, { minLength: 1, maxLength: 8 })
          .filter((ops) => ops.includes('quit') || ops.includes('swallow')),
        async (kind, ops) => {
          const cells = newCells();
          const actor =
            kind === 'serial'
              ? spawn(Quitter, { args: [cells] })
              : spawn(AsyncQuitter, { args: [cells] });
          await actor.ready();
          // One tick: the calls travel in one batch.
          const calls = ops.map((o) =>
            o === 'call'
              ? 'work' in actor
                ? actor.work()
                : actor.ping()
              : o === 'quit'
                ? actor.quit()
                : actor.swallow(),
          );
          const settled = await Promise.allSettled(calls);
          const exit = ops.findIndex((o) => o !== 'call');
          settled.forEach((s, i) => {
            if (i < exit && kind === 'serial') {
              // A sync call before it had returned.
              expect(s.status).toBe('fulfilled');
              return;
            }
            expect(s.status).toBe('rejected');
            const error = (s as PromiseRejectedResult).reason;
            expect(error).toBeInstanceOf(ActorDiedError);
            expect(error.message).toMatch(/it called exitActor\(\)/);
            // An async call before it was still running (its promise had not settled).
            expect(error.mayHaveRun).toBe(i <= exit);
          });
          await terminate(actor);
          expect(Atomics.load(cells, Cell.Ended)).toBe(110);
        },
      ),
      { numRuns: 12 },
    );
  });

  test('outside an actor it throws a TypeError that says where it works', () => {
    expect(() => exitActor()).toThrow(/must be called inside an actor/);
  });
});

describe('terminate(handle, { timeoutMs })', () => {
  test('a serial actor runs the calls already made, then onShutdown, then ends; later calls reject', async () => {
    const cells = newCells();
    const holder = spawn(Holder, { args: [cells], name: 'terminated', maxRestarts: 1 });
    const before = [holder.held(1), holder.work(), holder.work()];
    await reach(cells, Cell.Started, 1);
    const ended = terminate(holder);
    const after = failure(holder.work());
    release(cells);
    expect(await Promise.all(before)).toEqual([1, 1, 1]);
    const refused = await after;
    expect(refused.mayHaveRun).toBe(false);
    expect(refused.message).toMatch(/it was terminated/);
    await ended;
    // onShutdown() ran; kill-like ends (worker.terminate) skip the thread's exit handlers.
    expect(Atomics.load(cells, Cell.Ended) % 100).toBe(10);
    expect(isLive('terminated')).toBe(false);
    await failure(holder.work());
  });

  test('an async actor runs its queued calls first', async () => {
    const cells = newCells();
    const quitter = spawn(AsyncQuitter, { args: [cells], maxConcurrency: 1 });
    const before = [quitter.held(1), quitter.ping(), quitter.held(2)];
    await reach(cells, Cell.Started, 1);
    const ended = terminate(quitter);
    const after = failure(quitter.ping());
    release(cells);
    expect(await Promise.all(before)).toEqual([1, 'pong', 2]);
    expect((await after).mayHaveRun).toBe(false);
    await ended;
    expect(Atomics.load(cells, Cell.Ended) % 100).toBe(10);
  });

  test('a threaded actor runs the calls waiting for a thread, then every thread ends', async () => {
    const cells = newCells();
    const quitter = spawn(ThreadedQuitter, { args: [cells] });
    const before = [quitter.held(1), quitter.held(2), quitter.work(), quitter.work()];
    await reach(cells, Cell.Started, 2);
    const ended = terminate(quitter);
    const after = failure(quitter.work());
    release(cells);
    expect(await Promise.all(before)).toEqual([1, 2, 1, 1]);
    expect((await after).mayHaveRun).toBe(false);
    await ended;
    expect(Atomics.load(cells, Cell.Ended) % 100).toBe(20);
  });

  test('past timeoutMs the actor is ended, and calls still running reject with mayHaveRun: true', async () => {
    const cells = newCells();
    const quitter = spawn(AsyncQuitter, { args: [cells] });
    const stuck = failure(quitter.forever());
    await reach(cells, Cell.Started, 1);
    await terminate(quitter, { timeoutMs: 50 });
    const error = await stuck;
    expect(error.mayHaveRun).toBe(true);
    expect(error.message).toMatch(/terminated, and its calls had not finished within 50 ms/);
  });

  test('a timeoutMs that is negative, NaN, not a number or past 2^31-1 ms throws a TypeError at once, ending nothing', async () => {
    const counter = spawn(Counter, { args: [0] });
    const bad = fc.oneof(
      fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
      fc.constant(Number.NaN),
      fc.constant(Number.NEGATIVE_INFINITY),
      fc.double({ min: 2 ** 31, max: Number.MAX_VALUE, noNaN: true }),
      fc.string(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(bad, (timeoutMs) => {
        expect(() => terminate(counter, { timeoutMs: timeoutMs as number })).toThrow(
          /terminate\(handle, \{ timeoutMs \}\): timeoutMs must be a number of milliseconds from 0 to 2147483647, or Infinity/,
        );
      }),
    );
    expect(() => terminate(counter, { timeoutMs: -1 })).toThrow(TypeError);
    expect(await counter.add(1)).toBe(1);
    await terminate(counter, { timeoutMs: Number.POSITIVE_INFINITY });
    await failure(counter.add(1));
  });
});

describe('ending in other ways', () => {
  test("a background error is reported with the actor's name, and the actor serves on", async () => {
    const script = fileURLToPath(new URL('./fixtures/dist/background-script.js', import.meta.url));
    const { stdout, stderr } = await run(process.execPath, [script], { timeout: 20000 });
    expect(stdout).toBe('dropped\npong\n');
    expect(stderr).toMatch(/\(Careless#1\) uncaught exception in background work .*late failure/s);
    expect(stderr).toMatch(/\(Careless#1\) unhandled rejection in background work .*lost promise/s);
  });

  test('an actor that runs out of its heap dies alone, saying why', async () => {
    const hog = spawn(Hog);
    const bystander = spawn(Counter, { args: [0] });
    const error = await failure(hog.grow());
    expect(error.message).toMatch(/ran out of memory .*resourceLimits\.maxOldGenerationSizeMb/);
    expect(await bystander.add(1)).toBe(1);
  });
});

describe('shutdown({ timeoutMs })', () => {
  test('ends calls still running after the bound with ActorDiedError', async () => {
    const cells = newCells();
    const stuck = spawn(Holder, { args: [cells], name: 'stuck' });
    const running = failure(stuck.held(1));
    await reach(cells, Cell.Started, 1);
    await shutdown({ timeoutMs: 200 });
    const error = await running;
    expect(error.message).toMatch(/had not finished within 200 ms/);
    expect(error.mayHaveRun).toBe(true);
  });
});
