import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from '@jest/globals';
import { ActorDiedError, kill, listActors, shutdown, spawn } from '@troupe/runtime';
import { Holder } from './fixtures/dist/ending.js';
import { Cell, newCells, reach } from './support/handshake.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./fixtures/dist/exit-script.js', import.meta.url));

afterAll(() => shutdown());

describe('lifecycle', () => {
  test('kill rejects the running call, queued calls and later calls with ActorDiedError', async () => {
    const cells = newCells();
    const doomed = spawn(Holder, { args: [cells], name: 'doomed' });
    const running = doomed.held(1);
    const queued = doomed.work();
    // The call is running (it bumped the cell, and holds its thread until released: never).
    await reach(cells, Cell.Started, 1);
    await kill(doomed);
    const settled = await Promise.allSettled([running, queued]);
    for (const { status } of settled) expect(status).toBe('rejected');
    const [ran, waited] = settled.map((s) => (s as PromiseRejectedResult).reason);
    for (const error of [ran, waited]) {
      expect(error).toBeInstanceOf(ActorDiedError);
      expect(error.message).toMatch(/is dead \(it was killed\)/);
    }
    expect(ran.mayHaveRun).toBe(true);
    await expect(doomed.work()).rejects.toBeInstanceOf(ActorDiedError);
    expect(listActors().some((a) => a.name === 'doomed')).toBe(false);
    // kill runs neither onShutdown() nor the thread's exit handlers.
    expect(Atomics.load(cells, Cell.Ended)).toBe(0);
  });

  test('a child process that spawns actors and calls shutdown() exits by itself', async () => {
    const { stdout } = await run(process.execPath, [script], { timeout: 20000 });
    expect(stdout).toMatch(/\[2,7,1\]/);
  });

  test('without the transformer, warns once, naming what is lost', async () => {
    const env = { ...process.env };
    delete env.TROUPE_SILENCE_TRANSFORMER_WARNING;
    const { stderr } = await run(process.execPath, [script], { timeout: 20000, env });
    expect(stderr.match(/TROUPE_NO_TRANSFORMER/g)).toHaveLength(1);
    expect(stderr).toMatch(
      /was not compiled with @troupe\/transformer.*re-runs its top-level code/,
    );
  });

  test('a child process that forgets shutdown() still exits by itself', async () => {
    const { stdout } = await run(process.execPath, [script, '--forget-shutdown'], {
      timeout: 20000,
    });
    expect(stdout).toMatch(/\[2,7,1\]/);
  });
});

describe('actor output', () => {
  const printer = fileURLToPath(new URL('./fixtures/dist/print-script.js', import.meta.url));

  test.each([[[]], [['--enable-source-maps']]])(
    'is prefixed with the actor name, line by line (node flags %p)',
    async (flags) => {
      const { stdout, stderr } = await run(process.execPath, [...flags, printer], {
        timeout: 20000,
      });
      expect(stdout.split('\n')).toEqual([
        '(Chatty#1) hello',
        '(Chatty#1) world',
        '(Chatty#1) partial line',
        '',
      ]);
      expect(stderr).toContain('(Chatty#1) err: hello\n(Chatty#1) world');
    },
  );
});
