import { describe, expect, test } from '@jest/globals';
import { ActorDiedError, listActors, shutdown, spawn } from '@troupe/runtime';
import { AsyncQuitter, Holder, ThreadedQuitter } from './fixtures/dist/ending.js';
import { Cell, newCells, reach, release } from './support/handshake.js';

describe('shutdown()', () => {
  test('lets running calls finish, rejects queued calls, and ends every actor', async () => {
    const cells = newCells();
    const serial = spawn(Holder, { args: [cells] });
    const async = spawn(AsyncQuitter, { args: [cells], maxConcurrency: 1 });
    const threaded = spawn(ThreadedQuitter, { args: [cells] });
    const running = [serial.held(1), async.held(2), threaded.held(3), threaded.held(4)];
    // Every running call has started (each bumped the cell), so none can be taken for queued.
    await reach(cells, Cell.Started, 4);
    const queued = Promise.allSettled([
      serial.work(),
      async.ping(),
      threaded.work(),
      threaded.work(),
      threaded.work(),
    ]);
    // The running calls are held until after shutdown() has begun.
    const down = shutdown();
    release(cells);
    await down;
    expect(await Promise.all(running)).toEqual([1, 2, 3, 4]);
    for (const settled of await queued) {
      expect(settled.status).toBe('rejected');
      const error = (settled as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(ActorDiedError);
      expect(error.message).toMatch(/was shut down before call '\w+' started; it did not run/);
      expect(error.mayHaveRun).toBe(false);
    }
    // Every actor ran its onShutdown(): the serial, the async and both threads of the threaded.
    expect(Atomics.load(cells, Cell.Ended) % 100).toBe(40);
    expect(listActors()).toEqual([]);
    await expect(serial.work()).rejects.toBeInstanceOf(ActorDiedError);
  });
});
