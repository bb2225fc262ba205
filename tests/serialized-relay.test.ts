/**
 * Serialized batches (`Op.Serialized`): a relay thread (a cluster node's main thread) hands the
 * bytes a remote caller wrote to the host, and the host answers in bytes the relay sends on
 * unread. Properties, over generated values, ticks and a real MessagePort: every call reaches the
 * host once, in order, with its value as written; every call is answered once; a frame alone in
 * its tick goes as bytes, frames that share a tick go as one batch; the host answers in bytes
 * exactly when it was sent bytes and the whole batch can be written so (a result holding shared memory makes it
 * answer with a batch, which the relay then refuses result by result as before); and the relay's
 * bookkeeping is done with every call answered (none is withdrawn afterwards).
 */
import v8 from 'node:v8';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { appendCall, forEachResult, newCalls } from '../packages/runtime/src/wire/batch.js';
import { Endpoint, type Served } from '../packages/runtime/src/wire/endpoint.js';
import {
  type CallsBatch,
  type FromHost,
  Op,
  type ResultsBatch,
  type SerializedResultsMessage,
  Status,
} from '../packages/runtime/src/wire/protocol.js';
import { RelayedCalls } from '../packages/runtime/src/wire/relay.js';
import { deserializeResults } from '../packages/runtime/src/wire/serialized.js';
import { PortTransport } from '../packages/runtime/src/wire/transport.js';

/** What a remote caller writes: the batch's bytes (a header, then the value). */
function written(batch: CallsBatch): Uint8Array {
  const writer = new v8.Serializer();
  writer.writeHeader();
  writer.writeValue(batch);
  return writer.releaseBuffer();
}

/** A value a call carries, and what its host answers with (or throws). */
const value = fc.oneof(
  fc.jsonValue(),
  fc.date({ noInvalidDate: true }),
  fc.bigInt(),
  fc.uint8Array({ maxLength: 16 }),
  fc.string().map((s) => new Map([[s, s.length]])),
);

interface Sent {
  arg: unknown;
  /** How the host answers: with the value, by throwing, or with shared memory (unsendable as bytes). */
  answer: 'reply' | 'throw' | 'shared';
}

describe('serialized batches through a relay', () => {
  test('each call reaches the host once with its value, and is answered once, in bytes when it can be', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Ticks, each with the frames (batches of calls) that arrive in it.
        fc.array(
          fc.array(
            fc.array(
              fc.record({
                arg: value,
                answer: fc.constantFrom('reply' as const, 'throw' as const, 'shared' as const),
              }),
              { minLength: 1, maxLength: 20 },
            ),
            { minLength: 1, maxLength: 3 },
          ),
          { minLength: 1, maxLength: 4 },
        ),
        async (ticks) => {
          const batches = ticks.flat();
          const { port1, port2 } = new MessageChannel();
          const received: [number, unknown][] = [];
          const plan = new Map<number, Sent>();
          const served: Served = {
            submit(endpoint, callId, _target, args) {
              received.push([callId, args[0]]);
              const how = plan.get(callId)?.answer;
              if (how === 'throw') endpoint.fail(callId, new RangeError(`call ${callId}`));
              else if (how === 'shared')
                endpoint.reply(callId, { memory: new SharedArrayBuffer(8) });
              else endpoint.reply(callId, args[0]);
            },
            control() {},
          };
          const endpoint = new Endpoint(new PortTransport(port2), served, false);
          const relay = new RelayedCalls((message, transfers) =>
            port1.postMessage(message, transfers as never),
          );
          const answers = new Map<number, [Status, unknown]>();
          let serializedBatches = 0;
          let plainBatches = 0;
          const total = batches.reduce((n, b) => n + b.length, 0);
          const all = new Promise<void>((resolve) => {
            port1.on('message', (message: FromHost) => {
              let results: ResultsBatch;
              if (message[0] === Op.Serialized) {
                const serialized = message as SerializedResultsMessage;
                serializedBatches++;
                relay.answeredIds(serialized[2]);
                results = deserializeResults(serialized);
                const final: number[] = [];
                forEachResult(results, (id) => final.push(id));
                expect([...serialized[2]]).toEqual(final);
              } else if (message[0] === Op.Results) {
                plainBatches++;
                relay.answered(message);
                results = message;
              } else return;
              forEachResult(results, (id, status, v) => {
                expect(answers.has(id)).toBe(false);
                answers.set(id, [status, v]);
              });
              if (answers.size === total) resolve();
            });
          });
          let id = 1;
          for (const frames of ticks) {
            for (const calls of frames) {
              const batch = newCalls();
              for (const call of calls) {
                plan.set(id, call);
                appendCall(batch, id++, 0, [call.arg]);
              }
              relay.relay(batch, undefined, written(batch));
            }
            await new Promise((resolve) => setImmediate(resolve));
          }
          await all;
          // Every call reached the host once, in order, with its value as written.
          expect(received.map(([i]) => i)).toEqual([...plan.keys()]);
          for (const [i, arg] of received) expect(arg).toEqual(plan.get(i)?.arg);
          // Answered once each, as the host said.
          for (const [i, call] of plan) {
            const [status, v] = answers.get(i) as [Status, unknown];
            if (call.answer === 'reply') {
              expect(status).toBe(Status.Ok);
              expect(v).toEqual(call.arg);
            } else if (call.answer === 'throw') {
              expect(status).toBe(Status.Threw);
              expect((v as { message: string }).message).toBe(`call ${i}`);
            } else {
              // Shared memory cannot be written as bytes: that batch went as a batch.
              expect(status).toBe(Status.Ok);
              // (Tagged rather than instanceof: jest's realm is not the port's.)
              expect(Object.prototype.toString.call((v as { memory: unknown }).memory)).toBe(
                '[object SharedArrayBuffer]',
              );
            }
          }
          // Bytes each way where a frame was alone in its tick and nothing refused them; frames
          // of one tick go as one batch, cloned; a batch where shared memory was answered.
          const anyShared = [...plan.values()].some((c) => c.answer === 'shared');
          if (!anyShared && ticks.every((frames) => frames.length === 1)) {
            expect(plainBatches).toBe(0);
          }
          if (ticks.length === 1 && batches.length > 1) expect(serializedBatches).toBe(0);
          if (anyShared) expect(plainBatches).toBeGreaterThan(0);
          expect(serializedBatches + plainBatches).toBeGreaterThan(0);
          // Every call answered: nothing is left to withdraw.
          expect(relay.withdraw()).toEqual([]);
          void endpoint;
          port1.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
