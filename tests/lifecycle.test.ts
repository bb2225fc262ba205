import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from '@jest/globals';
import { ActorDiedError, kill, listActors, shutdown, spawn } from '@troupe/runtime';
import { Faulty } from './fixtures/dist/errors.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./fixtures/dist/exit-script.js', import.meta.url));

afterAll(() => shutdown());

describe('lifecycle', () => {
  test('kill rejects the running call, queued calls and later calls with ActorDiedError', async () => {
    const faulty = spawn(Faulty, { name: 'doomed' });
    await faulty.ready();
    const running = faulty.spin(5000);
    const queued = faulty.count();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await kill(faulty);
    for (const settled of await Promise.allSettled([running, queued])) {
      const error = (settled as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(ActorDiedError);
      expect(error.message).toMatch(/is dead \(it was killed\)/);
    }
    await expect(faulty.count()).rejects.toBeInstanceOf(ActorDiedError);
    expect(listActors().some((a) => a.name === 'doomed')).toBe(false);
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
