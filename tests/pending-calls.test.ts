/**
 * The pending-call table of a connection (caller/pending-calls.ts) against a Map as the model:
 * whatever order answers come in, whatever calls stay pending long, an id finds its call until it
 * is taken, never another's, and `takeAll` returns the pending calls in the order they were sent.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { PendingCalls } from '../packages/runtime/src/caller/pending-calls.js';

type Op =
  | { kind: 'add'; n: number }
  | { kind: 'take'; pick: number }
  | { kind: 'takeNewest'; n: number }
  | { kind: 'get'; pick: number }
  | { kind: 'takeAll' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      n: fc.integer({ min: 1, max: 1500 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('take' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('takeNewest' as const),
      n: fc.integer({ min: 1, max: 1500 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), pick: fc.integer() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('takeAll' as const) }) },
);

describe('PendingCalls', () => {
  test('behaves as a Map in sending order, under any order of answers', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const table = new PendingCalls<{ seq: number }>();
        const model = new Map<number, { seq: number }>();
        let seq = 0;
        let lastId = 0;
        for (const o of ops) {
          switch (o.kind) {
            case 'add':
              for (let i = 0; i < o.n; i++) {
                const call = { seq: seq++ };
                const id = table.add(call);
                if (id <= lastId) throw new Error(`id ${id} after ${lastId}`);
                lastId = id;
                model.set(id, call);
              }
              break;
            case 'take': {
              const ids = [...model.keys()];
              if (ids.length === 0) {
                expect(table.take(lastId + 1)).toBeUndefined();
                break;
              }
              const id = ids[o.pick % ids.length] as number;
              expect(table.take(id)).toBe(model.get(id));
              model.delete(id);
              expect(table.take(id)).toBeUndefined();
              break;
            }
            case 'takeNewest': {
              // Answers in sending order, except the oldest few: they pin the array's head.
              const ids = [...model.keys()].slice(3, 3 + o.n);
              for (const id of ids) {
                if (table.take(id) !== model.get(id))
                  throw new Error(`take(${id}) is not its call`);
                model.delete(id);
              }
              break;
            }
            case 'get': {
              const id = Math.abs(o.pick) % (lastId + 2);
              expect(table.get(id)).toBe(model.get(id));
              // An id no call can have (a corrupt answer) finds nothing and takes nothing.
              for (const odd of [id + 0.5, Number.NaN, -id - 1, Number.POSITIVE_INFINITY]) {
                expect(table.get(odd)).toBeUndefined();
                expect(table.take(odd)).toBeUndefined();
              }
              break;
            }
            case 'takeAll':
              expect(table.takeAll()).toEqual([...model.values()]);
              model.clear();
              break;
          }
          if (table.size !== model.size) throw new Error(`size ${table.size}, model ${model.size}`);
        }
        for (const [id, call] of model) {
          if (table.get(id) !== call) throw new Error(`get(${id}) is not its call`);
        }
        expect(table.takeAll()).toEqual([...model.values()]);
      }),
      { numRuns: 150 },
    );
  });

  test('a call answered late does not let the table grow with every later call', () => {
    const table = new PendingCalls<number>();
    const late = table.add(-1);
    for (let i = 0; i < 200_000; i++) table.take(table.add(i));
    // Bounded: the straggler moved aside, and the blocks moved on past it.
    const internals = table as unknown as { blocks: unknown[] };
    expect(internals.blocks.length).toBeLessThanOrEqual(2);
    expect(table.get(late)).toBe(-1);
    expect(table.take(late)).toBe(-1);
    expect(table.size).toBe(0);
  });

  test('calls answered late are found wherever they lay when the table moved on past them', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 2999 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 3000 }),
        (lateAt, n) => {
          const table = new PendingCalls<number>();
          const ids: number[] = [];
          const late = new Set(lateAt.filter((i) => i < n));
          const allFound = (): void => {
            for (const i of late) {
              if (table.get(ids[i] as number) !== i) throw new Error(`late call ${i} is lost`);
            }
          };
          for (let i = 0; i < n; i++) ids.push(table.add(i));
          // Every other call is answered, in sending order; then a later burst of calls.
          for (let i = 0; i < n; i++) if (!late.has(i)) table.take(ids[i] as number);
          allFound();
          for (let i = n; i < n + 3000; i++) ids.push(table.add(i));
          for (let i = n; i < n + 3000; i++) table.take(ids[i] as number);
          allFound();
          expect(table.takeAll()).toEqual([...late].sort((a, b) => a - b));
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a window of calls kept pending reuses its blocks rather than making new ones', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 64 }),
        (window, answersAtOnce) => {
          const table = new PendingCalls<number>();
          const internals = table as unknown as { blocks: unknown[] };
          const seen = new Set<unknown>();
          const ids: number[] = [];
          for (let i = 0; i < window; i++) ids.push(table.add(i));
          let answered = 0;
          while (ids.length < 30_000) {
            // Answers come in sending order, a few at a time; each makes room for one more call.
            for (let i = 0; i < answersAtOnce; i++) {
              const id = ids[answered++] as number;
              if (table.take(id) === undefined) throw new Error(`call ${id} was lost`);
              ids.push(table.add(ids.length));
            }
            for (const block of internals.blocks) seen.add(block);
          }
          // The window spans at most this many blocks at a time; one more waits as a spare.
          const spanned = Math.ceil(window / 1024) + 1;
          expect(internals.blocks.length).toBeLessThanOrEqual(spanned);
          expect(seen.size).toBeLessThanOrEqual(spanned + 1);
          for (const id of ids.slice(answered)) {
            if (table.get(id) === undefined) throw new Error(`call ${id} is not found`);
          }
          expect(table.size).toBe(window);
        },
      ),
      { numRuns: 40 },
    );
  });
});
