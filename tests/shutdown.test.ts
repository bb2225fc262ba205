import { describe, expect, test } from '@jest/globals';
import { ActorDiedError, listActors, SharedCounter, shutdown, spawn } from '@troupe/runtime';
import { Faulty } from './fixtures/dist/errors.js';
import { Gate } from './fixtures/dist/gate.js';
import { Busy } from './fixtures/dist/threaded.js';

describe('shutdown()', () => {
  test('lets running calls finish, rejects queued calls, and ends every actor', async () => {
    const serial = spawn(Faulty);
    const gate = spawn(Gate, { maxConcurrency: 1 });
    const busy = spawn(Busy, {
      args: [new SharedCounter(), new SharedCounter()],
      maxConcurrency: 2,
    });
    await Promise.all([serial.ready(), gate.ready(), busy.ready()]);
    const running = [serial.spin(300), gate.step(1, 300), busy.hold(1, 300), busy.hold(5, 300)];
    const queued = Promise.allSettled([
      serial.count(),
      gate.step(2),
      busy.hold(2, 1),
      busy.hold(3, 1),
      busy.hold(4, 1),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await shutdown();
    const ran = await Promise.allSettled(running);
    expect(ran.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    for (const settled of await queued) {
      expect(settled.status).toBe('rejected');
      const error = (settled as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(ActorDiedError);
      expect(error.message).toMatch(/was shut down before call '\w+' started; it did not run/);
    }
    expect(listActors()).toEqual([]);
    await expect(serial.count()).rejects.toBeInstanceOf(ActorDiedError);
  });
});
