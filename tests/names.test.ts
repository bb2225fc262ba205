import { afterAll, describe, expect, test } from '@jest/globals';
import {
  ActorDefinitionError,
  ActorNotFoundError,
  getActor,
  kill,
  shutdown,
  spawn,
} from '@troupe/runtime';
import type { Counter as CounterType } from './fixtures/dist/counter.js';
import { Counter } from './fixtures/dist/counter.js';
import { Directory } from './fixtures/dist/relay.js';

afterAll(() => shutdown());

describe('named actors', () => {
  test('getActor finds a named actor; a duplicate name is refused; getIfExists reuses it', async () => {
    const counter = spawn(Counter, { args: [10], name: 'ledger' });
    await counter.add(1);
    expect(await getActor<CounterType>('ledger').add(1)).toBe(12);
    expect(() => spawn(Counter, { args: [0], name: 'ledger' })).toThrow(ActorDefinitionError);
    expect(() => spawn(Counter, { args: [0], name: 'ledger' })).toThrow(
      /a live actor already has that name in namespace 'default'\. Pass getIfExists: true/,
    );
    const same = spawn(Counter, { args: [0], name: 'ledger', getIfExists: true });
    expect(await same.add(1)).toBe(13);
  });

  test('namespaces keep equal names apart', async () => {
    spawn(Counter, { args: [100], name: 'shared', namespace: 'a' });
    spawn(Counter, { args: [200], name: 'shared', namespace: 'b' });
    expect(await getActor<CounterType>('shared', { namespace: 'a' }).add(0)).toBe(100);
    expect(await getActor<CounterType>('shared', { namespace: 'b' }).add(0)).toBe(200);
    expect(() => getActor('shared')).toThrow(ActorNotFoundError);
  });

  test('kill frees the name', async () => {
    const first = spawn(Counter, { args: [1], name: 'reborn' });
    await first.ready();
    await kill(first);
    const second = spawn(Counter, { args: [2], name: 'reborn' });
    expect(await getActor<CounterType>('reborn').add(0)).toBe(2);
    await second.ready();
  });

  test('actors find named actors from their own threads, and name the actors they spawn', async () => {
    spawn(Counter, { args: [5], name: 'from-main' });
    const directory = spawn(Directory);
    expect(await directory.addToNamed('from-main', 1)).toBe(6);
    expect(await directory.lookupMissing('nobody')).toBe('ActorNotFoundError');
    await directory.spawnNamed('from-worker', 40);
    expect(await getActor<CounterType>('from-worker').add(2)).toBe(42);
    await kill(directory);
    // The child died with its parent, and its name with it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(() => getActor('from-worker')).toThrow(/no live actor has that name/);
  });
});
