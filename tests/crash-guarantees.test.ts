import { afterAll, describe, expect, test } from '@jest/globals';
import { ActorDiedError, kill, listActors, SharedCounter, shutdown, spawn } from '@troupe/runtime';
import fc from 'fast-check';
import {
  AlternatingFailures,
  AsyncCrasher,
  Crasher,
  FailureRelay,
  FlakyStreams,
  MortalCrasher,
} from './fixtures/dist/crashes.js';
import { FragileThreads } from './fixtures/dist/faults.js';

afterAll(() => shutdown());

type Settled = PromiseSettledResult<unknown>;

function diedWith(settled: Settled | undefined, mayHaveRun: boolean): void {
  expect(settled?.status).toBe('rejected');
  const error = (settled as PromiseRejectedResult).reason;
  expect(error).toBeInstanceOf(ActorDiedError);
  expect(error.mayHaveRun).toBe(mayHaveRun);
}

// Guarantee 4: calls that completed before a crash keep their results.
describe('results of calls that finished before a crash', () => {
  test('are kept when a later call of the same batch crashes the worker', async () => {
    const runs = new SharedCounter();
    const actor = spawn(MortalCrasher, { args: [runs] });
    await actor.ready();
    // One tick: one batch, run in one go by the worker.
    const settled = await Promise.allSettled([
      actor.echo(1),
      actor.echo(2),
      actor.crash(),
      actor.echo(4),
    ]);
    expect(settled.slice(0, 2)).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'fulfilled', value: 2 },
    ]);
    diedWith(settled[2], true);
    diedWith(settled[3], false);
    expect(runs.get()).toBe(3);
  });

  test('are not run again when the crashed call is retried on the restarted instance', async () => {
    const runs = new SharedCounter();
    const once = new SharedCounter();
    const actor = spawn(Crasher, { args: [runs, once] });
    await actor.ready();
    const results = await Promise.all([actor.echo(1), actor.echo(2), actor.crashOnce(3)]);
    expect(results).toEqual([1, 2, 3]);
    // echo twice, crashOnce twice (the crash and its retry): nothing ran again.
    expect(runs.get()).toBe(4);
  });
});

// Guarantee 3: a call that had not started when its actor crashed is never reported as run.
describe('calls that had not started when their actor crashed', () => {
  test('wait for the restarted instance, whatever their maxTaskRetries', async () => {
    const runs = new SharedCounter();
    const actor = spawn(Crasher, { args: [runs] });
    await actor.ready();
    const [crash, ...rest] = await Promise.allSettled([
      actor.crash(),
      actor.echo(5),
      actor.echo.options({ maxTaskRetries: 0 })(6),
    ]);
    diedWith(crash, true);
    expect(rest).toEqual([
      { status: 'fulfilled', value: 5 },
      { status: 'fulfilled', value: 6 },
    ]);
  });

  test('on an async actor too', async () => {
    const actor = spawn(AsyncCrasher);
    await actor.ready();
    const [crash, echo] = await Promise.allSettled([actor.crash(), actor.echo(7)]);
    diedWith(crash, true);
    expect(echo).toEqual({ status: 'fulfilled', value: 7 });
  });

  test('reject with mayHaveRun false when no restart is left', async () => {
    const actor = spawn(MortalCrasher, { args: [new SharedCounter()] });
    await actor.ready();
    const settled = await Promise.allSettled([actor.crash(), actor.echo(1), actor.echo(2)]);
    diedWith(settled[0], true);
    diedWith(settled[1], false);
    diedWith(settled[2], false);
    expect((settled[1] as PromiseRejectedResult).reason.message).toMatch(
      /call 'echo' had not started: it did not run/,
    );
  });

  test('property: each call of a batch resolves, or rejects with mayHaveRun true only if it ran', async () => {
    // A model of a serial actor with maxRestarts 3: calls run in order; a crash rejects the
    // crashing call (it ran), uses a restart, and the calls after it run on the new instance;
    // without restarts left, they reject unrun.
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant('crash' as const), fc.integer({ min: 0, max: 99 })), {
          minLength: 1,
          maxLength: 12,
        }),
        async (script) => {
          const runs = new SharedCounter();
          const actor = spawn(Crasher, { args: [runs] });
          await actor.ready();
          const settled = await Promise.allSettled(
            script.map((step) => (step === 'crash' ? actor.crash() : actor.echo(step))),
          );
          let restartsLeft = 3;
          let alive = true;
          let ran = 0;
          script.forEach((step, i) => {
            if (!alive) {
              diedWith(settled[i], false);
            } else if (step === 'crash') {
              ran++;
              diedWith(settled[i], true);
              if (restartsLeft-- === 0) alive = false;
            } else {
              ran++;
              expect(settled[i]).toEqual({ status: 'fulfilled', value: step });
            }
          });
          expect(runs.get()).toBe(ran);
          await kill(actor);
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('retries', () => {
  test('a threaded call draws thrown-error and crash retries from one budget', async () => {
    const runs = new SharedCounter();
    const actor = spawn(AlternatingFailures, { args: [runs] });
    // Runs 1 and 3 throw, run 2 crashes its thread: the first run and maxTaskRetries (2) more.
    await expect(actor.fail()).rejects.toThrow('odd run');
    expect(runs.get()).toBe(3);
    runs.set(0);
    // Runs 1 and 3 crash, run 2 throws.
    await expect(actor.crashFirst()).rejects.toBeInstanceOf(ActorDiedError);
    expect(runs.get()).toBe(3);
  });

  test('a call from another thread is retried by the owner alone, within one budget', async () => {
    const runs = new SharedCounter();
    const actor = spawn(AlternatingFailures, { args: [runs] });
    const relay = spawn(FailureRelay, { args: [actor] });
    await expect(relay.fail()).rejects.toThrow('odd run');
    expect(runs.get()).toBe(3);
  });

  test('retryExceptions takes error classes, and a name matches any class of the error', async () => {
    const runs = new SharedCounter();
    const actor = spawn(AlternatingFailures, { args: [runs] });
    expect(await actor.flakyByName()).toBe(2);
    runs.set(0);
    expect(await actor.flakyByClass()).toBe(2);
  });

  test('a stream is retried until it has yielded, never after', async () => {
    const runs = new SharedCounter();
    const actor = spawn(FlakyStreams, { args: [runs] });
    const items: number[] = [];
    for await (const item of actor.items(3)) items.push(item);
    expect(items).toEqual([0, 1, 2]);
    expect(runs.get()).toBe(2);
    runs.set(0);
    const late: number[] = [];
    await expect(
      (async () => {
        for await (const item of actor.failAfterFirst()) late.push(item);
      })(),
    ).rejects.toThrow('late');
    expect(late).toEqual([1]);
    expect(runs.get()).toBe(1);
  });
});

describe('restarts of a threaded actor', () => {
  test('kill(handle, { noRestart: false }) spends one restart, not one per thread', async () => {
    const fragile = spawn(FragileThreads, { args: [new SharedCounter()], name: 'fragile-kill' });
    await fragile.ready();
    await kill(fragile, { noRestart: false });
    await fragile.ready();
    expect(await fragile.thread()).toEqual(expect.any(Number));
    expect(listActors().find((a) => a.name === 'fragile-kill')?.restarts).toBe(1);
  });
});
