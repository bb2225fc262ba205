// One file: three actors and the program that drives them. The program must run once, in the
// main thread; workers load the actors from program.troupe.js.
import { isMainThread, threadId } from 'node:worker_threads';
import { actor, shutdown, spawn } from '@troupe/runtime';

const started = Date.now();
console.log(`TOP-LEVEL main=${isMainThread}`);

@actor()
export class Counter {
  private n = 0;
  incr(by: number): number {
    this.n += by;
    return this.n;
  }
  inMainThread(): boolean {
    return isMainThread;
  }
}

/** Async only as far as the type checker can tell at ES2015: the keyword is down-levelled. */
@actor()
export class Gate {
  private waiting = new Map<string, () => void>();
  async waitFor(key: string): Promise<string> {
    await new Promise<void>((resolve) => this.waiting.set(key, resolve));
    return key;
  }
  open(key: string): Promise<boolean> {
    const resolve = this.waiting.get(key);
    resolve?.();
    return Promise.resolve(!!resolve);
  }
}

/** Threaded: two calls meet only if they run at the same time on two threads. */
@actor({ maxConcurrency: 2 })
export class Meeter {
  meet(board: Int32Array): { met: boolean; thread: number } {
    Atomics.add(board, 0, 1);
    const deadline = Date.now() + 5000;
    while (Atomics.load(board, 0) < 2 && Date.now() < deadline) Atomics.wait(board, 1, 0, 10);
    return { met: Atomics.load(board, 0) >= 2, thread: threadId };
  }
}

async function main(): Promise<void> {
  const counter = spawn(Counter);
  const serial = [await counter.incr(1), await counter.incr(2), await counter.incr(3)];
  const counterInMain = await counter.inMainThread();

  const gate = spawn(Gate);
  const waited = gate.waitFor('k');
  const opened = await gate.open('k');
  const asyncResult = [await waited, opened];

  const meeter = spawn(Meeter);
  const board = new Int32Array(new SharedArrayBuffer(8));
  const meetings = await Promise.all([meeter.meet(board), meeter.meet(board)]);

  console.log(
    `RESULT ${JSON.stringify({
      serial,
      counterInMain,
      asyncResult,
      met: meetings.map((m) => m.met),
      threads: new Set(meetings.map((m) => m.thread)).size,
      mainThread: threadId,
      workerThreads: meetings.map((m) => m.thread),
    })}`,
  );
  await shutdown();
  void started;
}

main().catch((error) => {
  console.error('FAILED', error);
  process.exitCode = 1;
});
