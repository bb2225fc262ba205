import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from '@jest/globals';
import { ActorDiedError, listActors, SharedCounter, shutdown, spawn } from '@troupe/runtime';
import { Counter } from './fixtures/dist/counter.js';
import { Hog, Quitter, ThreadedQuitter } from './fixtures/dist/ending.js';

const run = promisify(execFile);

afterAll(() => shutdown());

describe('ending an actor', () => {
  test('exitActor() ends the actor after that call: queued and later calls reject, onShutdown runs', async () => {
    const marks = new SharedCounter();
    const quitter = spawn(Quitter, { args: [marks], name: 'quitter' });
    await quitter.ready();
    const [quit, queued] = await Promise.allSettled([quitter.quit(), quitter.work()]);
    expect(quit).toEqual({ status: 'fulfilled', value: 'bye' });
    expect((queued as PromiseRejectedResult).reason).toBeInstanceOf(ActorDiedError);
    expect((queued as PromiseRejectedResult).reason.message).toMatch(
      /Actor quitter ended \(it called exitActor\(\)\) before call 'work' started/,
    );
    for (let i = 0; i < 100 && listActors().some((a) => a.name === 'quitter'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(listActors().some((a) => a.name === 'quitter')).toBe(false);
    await expect(quitter.work()).rejects.toThrow(
      /Actor quitter is dead \(it called exitActor\(\)\)/,
    );
    expect(marks.get()).toBe(10);
  });

  test('exitActor() in one replica of a threaded actor ends every replica, each running onShutdown', async () => {
    const marks = new SharedCounter();
    const quitter = spawn(ThreadedQuitter, { args: [marks] });
    await quitter.ready();
    expect(await quitter.quit()).toBe('bye');
    for (let i = 0; i < 100 && marks.get() < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(marks.get()).toBe(2);
    await expect(quitter.work()).rejects.toBeInstanceOf(ActorDiedError);
  });

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
    const error = await hog.grow().catch((e: ActorDiedError) => e);
    expect(error).toBeInstanceOf(ActorDiedError);
    expect(error.message).toMatch(/ran out of memory .*resourceLimits\.maxOldGenerationSizeMb/);
    expect(await bystander.add(1)).toBe(1);
  });
});

describe('shutdown({ timeoutMs })', () => {
  test('ends calls still running after the bound with ActorDiedError', async () => {
    const marks = new SharedCounter();
    const stuck = spawn(Quitter, { args: [marks], name: 'stuck' });
    await stuck.ready();
    const running = stuck.spin(3000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await shutdown({ timeoutMs: 200 });
    const error = await running.catch((e: ActorDiedError) => e);
    expect(error).toBeInstanceOf(ActorDiedError);
    expect(error.message).toMatch(/had not finished within 200 ms/);
  });
});
