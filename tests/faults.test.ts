import { afterAll, describe, expect, test } from '@jest/globals';
import {
  ActorDiedError,
  kill,
  listActors,
  RemoteError,
  SharedCounter,
  shutdown,
  spawn,
} from '@troupe/runtime';
import { Caller, Flaky, FragileThreads, Phoenix } from './fixtures/dist/faults.js';

afterAll(() => shutdown());

const restartsOf = (name: string) => listActors().find((a) => a.name === name)?.restarts;

describe('restarts', () => {
  test('a crashed actor is rebuilt from its arguments, up to maxRestarts, then dies', async () => {
    const starts = new SharedCounter();
    const phoenix = spawn(Phoenix, { args: [starts], name: 'phoenix' });
    expect(await phoenix.count()).toBe(1);
    const [crash, queued] = await Promise.allSettled([phoenix.crash(1), phoenix.count()]);
    const running = (crash as PromiseRejectedResult).reason;
    expect(running).toBeInstanceOf(ActorDiedError);
    expect(running.message).toMatch(
      /Actor phoenix crashed \(its worker exited with code 1\) and was restarted \(restart 1 of 2\); call 'crash' did not complete: it was running and may have run in part/,
    );
    // It had not started: it waited for the new instance, whose count starts again.
    expect(queued).toEqual({ status: 'fulfilled', value: 1 });
    expect(await phoenix.count()).toBe(2);
    expect(starts.get()).toBe(2);
    expect(restartsOf('phoenix')).toBe(1);
    await phoenix.crash(2).catch(() => {});
    expect(await phoenix.count()).toBe(1);
    await expect(phoenix.crash(3)).rejects.toThrow(/is dead \(its worker exited with code 3\)/);
    await expect(phoenix.count()).rejects.toBeInstanceOf(ActorDiedError);
    expect(starts.get()).toBe(3);
  });

  test('a handle held by another actor follows a restarted actor to its new worker', async () => {
    const phoenix = spawn(Phoenix, { args: [new SharedCounter()] });
    const caller = spawn(Caller, { args: [phoenix] });
    expect(await caller.count()).toBe(1);
    expect(await caller.count()).toBe(2);
    await phoenix.crash(1).catch(() => {});
    expect(await caller.count()).toBe(1);
  });

  test('kill(handle, { noRestart: false }) restarts the actor; kill(handle) ends it', async () => {
    const starts = new SharedCounter();
    const phoenix = spawn(Phoenix, { args: [starts] });
    await phoenix.count();
    await kill(phoenix, { noRestart: false });
    expect(await phoenix.count()).toBe(1);
    expect(starts.get()).toBe(2);
    await kill(phoenix);
    await expect(phoenix.count()).rejects.toThrow(/is dead \(it was killed\)/);
  });

  test('a threaded actor replaces only the crashed thread, then dies when none are left', async () => {
    const attempts = new SharedCounter();
    const fragile = spawn(FragileThreads, { args: [attempts], name: 'fragile' });
    // The first attempt crashes its thread; the retry runs on the new one.
    expect(await fragile.crashFirst(7)).toBe(7);
    expect(attempts.get()).toBe(2);
    expect(restartsOf('fragile')).toBe(1);
    expect(listActors().find((a) => a.name === 'fragile')?.threads).toBe(2);
    await expect(fragile.crash()).rejects.toBeInstanceOf(ActorDiedError);
    await expect(fragile.thread()).rejects.toBeInstanceOf(ActorDiedError);
  });
});

describe('retries', () => {
  test('a call interrupted by crashes is sent again, up to maxTaskRetries, with an exact result', async () => {
    const attempts = new SharedCounter();
    const flaky = spawn(Flaky, { args: [attempts] });
    expect(await flaky.square(3, 2)).toBe(9);
    expect(attempts.get()).toBe(3);
  });

  test('the most specific level wins: a per-call or per-method 0 means no retry', async () => {
    const attempts = new SharedCounter();
    const flaky = spawn(Flaky, { args: [attempts] });
    await expect(flaky.square.options({ maxTaskRetries: 0 })(2, 1)).rejects.toBeInstanceOf(
      ActorDiedError,
    );
    await expect(flaky.once()).rejects.toThrow(/Give it maxTaskRetries/);
    expect(await flaky.square(4, 0)).toBe(16);
  });

  test('retryExceptions retries the named errors, and the last error arrives when retries run out', async () => {
    const attempts = new SharedCounter();
    const flaky = spawn(Flaky, { args: [attempts] });
    expect(await flaky.busy(5, 2)).toBe(5);
    expect(attempts.get()).toBe(3);
    attempts.set(0);
    const error = await flaky.busy(5, 10).catch((e: RemoteError) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error.name).toBe('BusyError');
    expect(error.message).toBe('busy (attempt 4)');
    expect(attempts.get()).toBe(4);
  });
});
