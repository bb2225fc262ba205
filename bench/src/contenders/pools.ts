import { Piscina } from 'piscina';
import Tinypool from 'tinypool';
import type { Contender } from '../harness.js';
import { workerFile } from '../paths.js';
import type { EchoClient } from './client.js';

/** The pool API both peers share: run a named export of the task file. */
export interface PoolClient extends EchoClient {
  run(task: unknown, name: string): Promise<unknown>;
}

const taskFile = workerFile('pool-task.js').href;

/** Piscina with exactly `threads` threads, its defaults otherwise (Atomics wake-ups on). */
export function piscina(threads: number): Contender<PoolClient> {
  return {
    name: "Piscina, atomics 'sync' (default)",
    async start() {
      const pool = new Piscina({ filename: taskFile, minThreads: threads, maxThreads: threads });
      await pool.run(0);
      return {
        client: { echo: (x) => pool.run(x), run: (task, name) => pool.run(task, { name }) },
        stop: () => pool.destroy(),
      };
    },
  };
}

/**
 * tinypool with exactly `threads` threads. `useAtomics: false` is how Troupe's threaded actors
 * run it (its Atomics.wait freezes a worker's event loop between tasks); true is its default.
 */
export function tinypool(threads: number, useAtomics: boolean): Contender<PoolClient> {
  return {
    name: `tinypool, useAtomics ${useAtomics}${useAtomics ? ' (default)' : ''}`,
    async start() {
      const pool = new Tinypool({
        filename: taskFile,
        minThreads: threads,
        maxThreads: threads,
        idleTimeout: 2 ** 31 - 1,
        useAtomics,
      });
      await pool.run(0);
      return {
        client: { echo: (x) => pool.run(x), run: (task, name) => pool.run(task, { name }) },
        stop: () => pool.destroy(),
      };
    },
  };
}
