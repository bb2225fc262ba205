/**
 * The host's call recorder, driven as the executor drives it: whatever mix of sync, throwing,
 * async and queued calls, and wherever stretches of synchronous work end, every call is counted
 * once by outcome, once in the queue-wait histogram and once in the run-time histogram.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { CallOutcome } from '../packages/runtime/src/host/call-watch.js';
import { recorderFor } from '../packages/runtime/src/observe/host-recorder.js';
import {
  HISTOGRAM_BINS,
  MethodSlot,
  Observed,
  ObserveRoom,
} from '../packages/runtime/src/observe/layout.js';

type Step =
  | { op: 'sync'; method: number }
  | { op: 'throw'; method: number }
  | { op: 'async'; method: number }
  | { op: 'queued'; method: number }
  | { op: 'settle' }
  | { op: 'tick' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('sync' as const), method: fc.nat({ max: 1 }) }),
  fc.record({ op: fc.constant('throw' as const), method: fc.nat({ max: 1 }) }),
  fc.record({ op: fc.constant('async' as const), method: fc.nat({ max: 1 }) }),
  fc.record({ op: fc.constant('queued' as const), method: fc.nat({ max: 1 }) }),
  fc.record({ op: fc.constant('settle' as const) }),
  fc.record({ op: fc.constant('tick' as const) }),
);

const sum = (a: Float64Array, from: number, n: number) =>
  Array.from(a.subarray(from, from + n)).reduce((x, y) => x + y, 0);

describe('the call recorder', () => {
  test('counts every call once, in its outcome and both histograms', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 80 }), fc.boolean(), async (steps, timeline) => {
        const stats = ObserveRoom.allocate(
          2,
          Observed.Metrics | (timeline ? Observed.Timeline : 0),
          256,
        );
        const recorder = recorderFor({ stats, name: 'A#1', methods: ['a', 'b'] });
        if (recorder === undefined) throw new Error('no recorder');
        const expected = [0, 0].map(() => ({ ok: 0, threw: 0, started: 0 }));
        const pending: { method: number; stamp: number; id: number }[] = [];
        let id = 0;
        for (const s of steps) {
          if (s.op === 'tick') {
            await Promise.resolve();
            continue;
          }
          if (s.op === 'settle') {
            const call = pending.shift();
            if (call === undefined) continue;
            recorder.ended(call.method, call.id, call.stamp, CallOutcome.Ok);
            (expected[call.method] as { ok: number }).ok++;
            continue;
          }
          const callId = ++id;
          const e = expected[s.method] as { ok: number; threw: number; started: number };
          e.started++;
          const queuedAt = s.op === 'queued' ? performance.now() : 0;
          const stamp = recorder.started(s.method, callId, queuedAt, undefined);
          if (s.op === 'throw') {
            expect(() =>
              recorder.invoke(
                () => {
                  throw new Error('no');
                },
                {},
                [],
              ),
            ).toThrow('no');
            recorder.ended(s.method, callId, stamp, CallOutcome.Threw);
            e.threw++;
          } else if (s.op === 'async') {
            recorder.invoke(() => Promise.resolve(1), {}, []);
            pending.push({ method: s.method, stamp, id: callId });
          } else {
            recorder.invoke(() => 1, {}, []);
            recorder.ended(s.method, callId, stamp, CallOutcome.Ok);
            e.ok++;
          }
        }
        for (const call of pending) {
          recorder.ended(call.method, call.id, call.stamp, CallOutcome.Ok);
          (expected[call.method] as { ok: number }).ok++;
        }
        await Promise.resolve();
        const room = ObserveRoom.of(stats) as ObserveRoom;
        for (const m of [0, 1]) {
          const at = room.methodAt(m);
          const e = expected[m] as { ok: number; threw: number; started: number };
          expect(room.counters[at + MethodSlot.Ok]).toBe(e.ok);
          expect(room.counters[at + MethodSlot.Threw]).toBe(e.threw);
          expect(sum(room.counters, at + MethodSlot.RunBins, HISTOGRAM_BINS)).toBe(e.started);
          expect(sum(room.counters, at + MethodSlot.WaitBins, HISTOGRAM_BINS)).toBe(e.started);
          expect(room.counters[at + MethodSlot.RunSum]).toBeGreaterThanOrEqual(0);
        }
        if (timeline) expect(room.written).toBe(id);
      }),
      { numRuns: 300 },
    );
  });
});
