import { afterAll, describe, expect, test } from '@jest/globals';
import {
  ActorDefinitionError,
  ActorNotFoundError,
  getActor,
  kill,
  listActors,
  SharedCounter,
  shutdown,
  spawn,
} from '@troupe/runtime';
import fc from 'fast-check';
import type { Counter as CounterType } from './fixtures/dist/counter.js';
import { Counter } from './fixtures/dist/counter.js';
import { BrokenConstructor } from './fixtures/dist/errors.js';
import { NameRacer } from './fixtures/dist/names.js';
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

describe('names, whoever races for them', () => {
  test('getIfExists is atomic across threads: racing spawns all get the one actor', async () => {
    const racers = 10;
    const barrier = new SharedCounter();
    const threads = Array.from({ length: racers }, () =>
      spawn(NameRacer, { args: [barrier, racers] }),
    );
    const counts = await Promise.all(threads.map((t) => t.race('raced')));
    // One counter, added to once by each: 1..10 in some order.
    expect([...counts].sort((a, b) => a - b)).toEqual(
      Array.from({ length: racers }, (_, i) => i + 1),
    );
    await Promise.all(threads.map((t) => kill(t)));
  });

  test('namespaced names never collide: a/b + c and a + b/c are two names', async () => {
    spawn(Counter, { args: [1], name: 'c', namespace: 'a/b' });
    spawn(Counter, { args: [2], name: 'b/c', namespace: 'a' });
    expect(await getActor<CounterType>('c', { namespace: 'a/b' }).add(0)).toBe(1);
    expect(await getActor<CounterType>('b/c', { namespace: 'a' }).add(0)).toBe(2);
  });

  test('property: every (namespace, name) split of one path is a name of its own', async () => {
    // Splitting one path at each place gives pairs that a plain `namespace/name` key would mix.
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[ab%]{0,2}\/[ab/%]{0,3}$/), async (tail) => {
        const path = `${++run}${tail}x`;
        const pairs = Array.from({ length: path.length - 1 }, (_, i) => [
          path.slice(0, i + 1),
          path.slice(i + 1),
        ]);
        const spawned = pairs.map(([ns, name], i) =>
          spawn(Counter, { args: [i], name, namespace: ns }),
        );
        const seen = await Promise.all(
          pairs.map(([ns, name]) =>
            getActor<CounterType>(name as string, { namespace: ns }).add(0),
          ),
        );
        expect(seen).toEqual(pairs.map((_, i) => i));
        await Promise.all(spawned.map((h) => kill(h)));
      }),
      { numRuns: 6 },
    );
  });

  test("without a cluster, lifetime: 'detached' changes nothing: the actor runs here", async () => {
    const counter = spawn(Counter, { lifetime: 'detached' });
    expect(await counter.add(1)).toBe(1);
    await kill(counter);
  });

  test('names of threaded and restartable actors spawned inside an actor are freed when they end', async () => {
    const racer = spawn(NameRacer, { args: [new SharedCounter(), 1] });
    expect(await racer.respawnNamed('inner')).toBe(true);
    await kill(racer);
  });

  test.each([
    [{ name: '' }, /spawn\(Counter\): name must be a non-empty string, not ''/],
    [{ name: 7 }, /spawn\(Counter\): name must be a non-empty string, not number 7/],
    [{ name: 'x', namespace: 7 }, /spawn\(Counter\): namespace must be a non-empty string/],
    [{ name: 'x', namespace: '' }, /spawn\(Counter\): namespace must be a non-empty string/],
    [{ getIfExists: true }, /spawn\(Counter\): getIfExists needs a name/],
    [{ lifetime: 'forever' }, /spawn\(Counter\): lifetime must be 'detached' or left out/],
    [{ lifetime: null }, /spawn\(Counter\): lifetime must be 'detached' or left out/],
  ])('spawn(Counter, %p) throws a TypeError naming the option', (options, message) => {
    const before = listActors().length;
    expect(() => spawn(Counter, options as never)).toThrow(TypeError);
    expect(() => spawn(Counter, options as never)).toThrow(message);
    expect(listActors().length).toBe(before);
  });

  test('getActor with an empty name throws a TypeError', () => {
    expect(() => getActor('')).toThrow(TypeError);
  });

  test('an actor whose constructor throws ends: its worker exits and its name is freed', async () => {
    const broken = spawn(BrokenConstructor, { args: ['no disk'], name: 'broken' });
    await expect(broken.ready()).rejects.toThrow('cannot build: no disk');
    // Its end is seen through listActors(), which lists live actors only.
    while (listActors().some((a) => a.name === 'broken')) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await expect(broken.hello()).rejects.toThrow(
      /Actor broken is dead \(its constructor threw QuotaError: cannot build: no disk\)/,
    );
    const again = spawn(BrokenConstructor, { args: ['still no disk'], name: 'broken' });
    await expect(again.ready()).rejects.toThrow('cannot build: still no disk');
  });
});
