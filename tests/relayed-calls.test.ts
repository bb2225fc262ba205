/**
 * `RelayedCalls`: the caller's half of cancelling, held by a thread that relays a remote caller's
 * calls to a host (a cluster node's main thread, for an actor's worker). Property: whatever the
 * order of sends, starts, cancels, answers and the link's end, a call is started by its host
 * only if it was not cancelled or withdrawn first, a call reported as not run never starts, a
 * call that started is never reported as not run, and every call reaches the host once, in order
 * (the batches of a tick merged into one).
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  appendCall,
  appendResult,
  forEachCall,
  newCalls,
  newResults,
} from '../packages/runtime/src/wire/batch.js';
import {
  CallState,
  CELL_MASK,
  CELL_SHIFT,
  Op,
  Status,
  type ToHost,
} from '../packages/runtime/src/wire/protocol.js';
import { RelayedCalls } from '../packages/runtime/src/wire/relay.js';

type Step =
  | { kind: 'send'; n: number }
  | { kind: 'start'; pick: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'answer'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), n: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant('start' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('answer' as const), pick: fc.nat() }),
);

/** The method a call is made for: several, and `ready()` (-1), so that withdraw must tell them. */
const methodFor = (id: number): number => (id % 4) - 1;

describe('RelayedCalls', () => {
  test('a call starts only if not cancelled or withdrawn first; withdrawn calls never started', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        // The host's side: the cells it was sent, and the calls it holds.
        const hostCells = new Map<number, Int32Array>();
        const aborted: number[] = [];
        // The calls the host received, in the order it received them.
        const delivered: number[] = [];
        const relay = new RelayedCalls((message: ToHost) => {
          if (message[0] === Op.CallCells) hostCells.set(message[1], message[2]);
          else if (message[0] === Op.Calls) forEachCall(message, (id) => delivered.push(id));
          else if (message[0] === Op.Cancel) aborted.push(...message.slice(1).map(Math.abs));
        });
        const cellOf = (id: number) => {
          const cells = hostCells.get(id >> CELL_SHIFT);
          if (cells === undefined) throw new Error(`call ${id}: its cells never reached the host`);
          return { cells, index: id & CELL_MASK };
        };
        let nextId = 1;
        const queued: number[] = [];
        const running: number[] = [];
        const started = new Set<number>();
        const cancelledQueued = new Set<number>();
        for (const s of steps) {
          if (s.kind === 'send') {
            const batch = newCalls();
            for (let i = 0; i < s.n; i++) {
              appendCall(batch, nextId, methodFor(nextId), []);
              queued.push(nextId++);
            }
            relay.relay(batch);
          } else if (s.kind === 'start' && queued.length > 0) {
            // The host's compare-and-swap before a call starts (Endpoint.begin).
            const [id] = queued.splice(s.pick % queued.length, 1) as [number];
            const { cells, index } = cellOf(id);
            const was = Atomics.compareExchange(cells, index, CallState.Queued, CallState.Running);
            if (was === CallState.Queued) {
              started.add(id);
              running.push(id);
            } else {
              expect(was).toBe(CallState.Cancelled);
              expect(cancelledQueued.has(id)).toBe(true);
            }
          } else if (s.kind === 'cancel' && nextId > 1) {
            const id = 1 + (s.pick % (nextId - 1));
            const { cells, index } = cellOf(id);
            const before = Atomics.load(cells, index);
            const wasQueued = queued.includes(id) && before === CallState.Queued;
            const abortsBefore = aborted.length;
            relay.relay([Op.Cancel, id] as never);
            if (wasQueued) {
              expect(Atomics.load(cells, index)).toBe(CallState.Cancelled);
              cancelledQueued.add(id);
            } else if (running.includes(id) && before === CallState.Running) {
              // Running: told to abort, and its result will be dropped.
              expect(aborted.length).toBe(abortsBefore + 1);
              expect(Atomics.load(cells, index)).toBe(CallState.RunningCancelled);
            }
          } else if (s.kind === 'answer' && running.length > 0) {
            const [id] = running.splice(s.pick % running.length, 1) as [number];
            const results = newResults();
            appendResult(results, id, Status.Ok, id);
            relay.answered(results);
          }
        }
        // Every call reaches the host once, in the order sent (batches of a tick go as one).
        relay.flush();
        expect(delivered).toEqual(Array.from({ length: nextId - 1 }, (_, i) => i + 1));
        // The link ends: what had not started is withdrawn, and never starts after.
        const pairs = relay.withdraw();
        // Each with the method it was sent for (-1: \`ready()\`).
        for (const [id, method] of pairs) expect(method).toBe(methodFor(id));
        const withdrawn = pairs.map(([id]) => id);
        for (const id of withdrawn) {
          expect(started.has(id)).toBe(false);
          const { cells, index } = cellOf(id);
          expect(Atomics.compareExchange(cells, index, CallState.Queued, CallState.Running)).toBe(
            CallState.Cancelled,
          );
        }
        // Every call still queued and not cancelled before is withdrawn; no running one is.
        const expected = queued.filter((id) => !cancelledQueued.has(id)).sort((a, b) => a - b);
        expect([...withdrawn].sort((a, b) => a - b)).toEqual(expected);
        for (const id of running) expect(withdrawn).not.toContain(id);
      }),
      { numRuns: 150 },
    );
  });
});
