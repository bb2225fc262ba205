/**
 * Generator methods stream, sync ones as async ones: the handle returns an async iterable of the
 * items the actor yields, on every kind of actor and on any transport.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { type ActorHandle, SharedCounter, shutdown, spawn } from '@troupe/runtime';
import fc from 'fast-check';
import { AsyncCounting, Counting, ThreadedCounting } from './fixtures/dist/streams.js';

afterAll(() => shutdown());

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const read: T[] = [];
  for await (const item of items) read.push(item);
  return read;
}

describe('sync generator methods', () => {
  const serial = spawn(Counting, { args: [new SharedCounter()] });
  const async = spawn(AsyncCounting);
  const threaded = spawn(ThreadedCounting);
  const kinds: [string, Pick<ActorHandle<Counting>, 'upTo' | 'ping'>][] = [
    ['serial', serial],
    ['async', async],
    ['threaded', threaded],
  ];

  test.each(kinds)('stream on a %s actor, every item in order', async (_, actor) => {
    const stream = actor.upTo(40);
    expect(typeof stream[Symbol.asyncIterator]).toBe('function');
    expect(await collect(stream)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(await actor.ping()).toBe('pong');
  });

  test('stream any number of items on every kind, past the credit window', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(80), fc.constantFrom(...kinds), async (n, [, actor]) => {
        expect(await collect(actor.upTo(n))).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
      { numRuns: 30 },
    );
  });

  test('an error arrives after the items yielded before it', async () => {
    const read: number[] = [];
    const error = await (async () => {
      for await (const item of serial.failing(3)) read.push(item);
    })().catch((e: Error) => e);
    expect(read).toEqual([0, 1, 2]);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe('stopped after 3');
  });

  test('yielded promises arrive as their values', async () => {
    expect(await collect(serial.promised())).toEqual(['a', 'b']);
  });

  test('leaving the loop closes the generator (its finally runs) and frees the actor', async () => {
    const closed = new SharedCounter();
    const produced = new SharedCounter();
    const counting = spawn(Counting, { args: [closed, produced] });
    let read = 0;
    for await (const _ of counting.endless()) if (++read === 5) break;
    // A serial actor runs one call at a time: ping answers only once the stream's call ended,
    // which it does after the generator's finally block ran.
    expect(await counting.ping()).toBe('pong');
    expect(closed.get()).toBe(1);
    // Backpressure: the generator ran at most a window ahead of what was read.
    expect(produced.get()).toBeLessThanOrEqual(5 + 16 + 1);
  });
});
