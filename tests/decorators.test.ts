import { afterAll, describe, expect, test } from '@jest/globals';
import { listActors, SharedCounter, shutdown, spawn } from '@troupe/runtime';
import { Counter } from './fixtures/dist/counter.js';
import { Gate } from './fixtures/dist/gate.js';
import { Busy } from './fixtures/dist/threaded.js';
import { LegacyAsync, LegacyCounter, LegacyThreaded } from './fixtures-legacy/dist/legacy.js';

afterAll(() => shutdown());

function kindOf(name: string) {
  return listActors().find((a) => a.name === name)?.kind;
}

describe('decorators', () => {
  test('standard decorators give each class its kind', () => {
    spawn(Counter, { name: 'std-serial' });
    spawn(Gate, { name: 'std-async' });
    spawn(Busy, { name: 'std-threaded', args: [new SharedCounter(), new SharedCounter()] });
    expect([kindOf('std-serial'), kindOf('std-async'), kindOf('std-threaded')]).toEqual([
      'serial',
      'async',
      'threaded',
    ]);
  });

  test('legacy experimentalDecorators with reflect-metadata give the same kinds and behaviour', async () => {
    const counter = spawn(LegacyCounter, { name: 'legacy-serial' });
    const waiter = spawn(LegacyAsync, { name: 'legacy-async' });
    const hits = new SharedCounter();
    const threaded = spawn(LegacyThreaded, { name: 'legacy-threaded', args: [hits] });
    expect([kindOf('legacy-serial'), kindOf('legacy-async'), kindOf('legacy-threaded')]).toEqual([
      'serial',
      'async',
      'threaded',
    ]);
    expect(await counter.add(2)).toBe(2);
    await Promise.all(Array.from({ length: 8 }, () => waiter.wait(20)));
    expect(await waiter.peakInFlight()).toBe(4);
    await Promise.all(Array.from({ length: 30 }, () => threaded.hit()));
    expect(hits.get()).toBe(30);
  });

  test('spawning a class that is not an actor says how to fix it', () => {
    class Plain {}
    expect(() => spawn(Plain)).toThrow(
      /spawn\(Plain\): not an actor class\. Decorate it with @actor\(\)/,
    );
  });

  test('a method named then is refused when the class is decorated, with the fix', async () => {
    await expect(import('./fixtures/dist/reserved.js')).rejects.toThrow(
      /@actor on Thenable: a method named 'then' cannot be called through a handle.*Rename the method/,
    );
  });

  test('an actor module that spawns at top level is refused in the worker, without recursion', async () => {
    const { selfish } = await import('./fixtures/dist/top-level-spawn.js');
    await expect(selfish.ready()).rejects.toThrow(
      /spawn\(Selfish\) ran while the worker of actor Selfish#\d+ was loading .*top-level-spawn\.js.*Move the code that spawns/,
    );
    // Only the actor spawned here exists: the worker never spawned another.
    expect(listActors().filter((a) => a.name.startsWith('Selfish'))).toHaveLength(1);
  });
});
