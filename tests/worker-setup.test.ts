/** `configure({ workerSetup })`: a module every actor worker imports before the actor's own. */
import { afterAll, describe, expect, test } from '@jest/globals';
import { configure, shutdown, spawn } from '@troupe/runtime';
import { SetupProbe } from './fixtures/dist/setup-probe.js';

afterAll(async () => {
  configure({ workerSetup: null });
  await shutdown();
});

describe('the worker setup hook', () => {
  test('runs once in each worker before the actor module, in actors spawned after it is set', async () => {
    const before = spawn(SetupProbe);
    configure({ workerSetup: new URL('./fixtures/dist/setup-hook.js', import.meta.url) });
    const after = spawn(SetupProbe);
    expect(await before.probe()).toBe(0);
    expect(await after.probe()).toBe(1);
  });

  test('reaches the actors an actor spawns', async () => {
    configure({ workerSetup: new URL('./fixtures/dist/setup-hook.js', import.meta.url) });
    expect(await spawn(SetupProbe).childProbe()).toBe(1);
  });

  test('stops with null', async () => {
    configure({ workerSetup: null });
    expect(await spawn(SetupProbe).probe()).toBe(0);
  });

  test('refuses a path that is not a URL, saying how to give one', () => {
    expect(() => configure({ workerSetup: './setup.js' })).toThrow(/new URL\('\.\/setup\.js'/);
  });
});
