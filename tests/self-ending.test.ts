import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';

const script = fileURLToPath(new URL('./fixtures/dist/self-end-script.js', import.meta.url));

/** Runs the script as a child process doing nothing else; resolves with its exit code and output. */
function runScript(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { timeout: 60_000 }, (error, stdout) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout });
    });
  });
}

// Guarantee 1: the process never exits while a call is pending on an actor that died.
describe('a worker that ends itself while nothing else keeps the process alive', () => {
  test.each([
    ['serial', 'exit'],
    ['serial', 'heap'],
    ['async', 'exit'],
    ['async', 'heap'],
  ])(
    '%s actor, %s: the pending call rejects with ActorDiedError before the process exits',
    async (kind, how) => {
      const { code, stdout } = await runScript([kind, how]);
      expect(stdout).toBe('rejected ActorDiedError mayHaveRun=true\nfinally\n');
      expect(code).toBe(0);
    },
  );
});
