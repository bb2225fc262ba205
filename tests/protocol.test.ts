/**
 * The wire protocol: every message type survives the trip through a real MessagePort whole, and
 * `batch.ts`, the only code that knows the batch layout, writes and reads batches faithfully.
 * These are the runtime's pure wire modules, checked from their sources with generated inputs.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  appendCall,
  appendResult,
  countOf,
  forEachCall,
  forEachResult,
  groupOf,
  isEmpty,
  mapArgs,
  metaOf,
  methodOf,
  newCalls,
  newResults,
  oneCall,
  oneResult,
  removeCall,
  targetOf,
} from '../packages/runtime/src/wire/batch.js';
import {
  type CallMeta,
  type CallTarget,
  type HandleDescriptor,
  type Message,
  Op,
  RegistryOp,
  type RegistryRequest,
  type SentArgs,
  type SharedDescriptor,
  Status,
} from '../packages/runtime/src/wire/protocol.js';
import { PortTransport } from '../packages/runtime/src/wire/transport.js';

const ports: MessagePort[] = [];
afterAll(() => {
  for (const port of ports) port.close();
});

/** Sends `message` over a real port pair and resolves with what the other side received. */
function roundTrip<T>(message: T, transfers: MessagePort[] = []): Promise<T> {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const sender = new PortTransport(port1);
  const receiver = new PortTransport(port2);
  const received = new Promise<T>((resolve) => {
    receiver.listen((m) => resolve(m as T));
    receiver.hold(true);
  });
  sender.post(message as Message, transfers);
  return received.finally(() => receiver.hold(false));
}

const meta: fc.Arbitrary<CallMeta> = fc.record(
  {
    trace: fc.string(),
    incarnation: fc.nat(),
    deadline: fc.integer({ min: 0, max: 2 ** 50 }),
  },
  { requiredKeys: [] },
);
const methodId = fc.integer({ min: -1, max: 500 });
const group = fc.option(fc.nat(20), { nil: undefined });
const target: fc.Arbitrary<CallTarget> = fc
  .tuple(methodId, group, fc.option(meta, { nil: undefined }))
  .map(([m, g, c]) => targetOf(m, g, c));
const cloneable = fc.jsonValue();
const sentArgs: fc.Arbitrary<SentArgs> = fc.oneof(
  fc.array(cloneable, { maxLength: 4 }),
  fc.array(cloneable, { maxLength: 4 }).map((encoded) => ({ encoded })),
);
const calls = fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 2 ** 31 }), target, sentArgs), {
  selector: ([id]) => id,
  maxLength: 30,
});
const status = fc.constantFrom(
  ...(Object.values(Status).filter((v) => typeof v === 'number') as Status[]),
);
const results = fc.array(fc.tuple(fc.integer({ min: 1, max: 2 ** 31 }), status, cloneable), {
  maxLength: 30,
});

describe('batches (wire/batch.ts)', () => {
  test('calls appended to a batch are read back in order, with their targets and arguments', () => {
    fc.assert(
      fc.property(calls, (list) => {
        const batch = newCalls();
        for (const [id, t, args] of list) appendCall(batch, id, t, args);
        const read: [number, CallTarget, SentArgs][] = [];
        forEachCall(batch, (id, t, args) => read.push([id, t, args]));
        expect(read).toEqual(list);
        expect(countOf(batch)).toBe(list.length);
        expect(isEmpty(batch)).toBe(list.length === 0);
      }),
    );
  });

  test('removing a call takes out that call alone, and only if the batch holds it', () => {
    fc.assert(
      fc.property(calls, fc.nat(), (list, pick) => {
        const batch = newCalls();
        for (const [id, t, args] of list) appendCall(batch, id, t, args);
        const victim = list.length > 0 ? list[pick % list.length] : undefined;
        const absent = Math.max(0, ...list.map(([id]) => id)) + 1;
        expect(removeCall(batch, absent)).toBe(false);
        if (victim === undefined) return;
        expect(removeCall(batch, victim[0])).toBe(true);
        const read: number[] = [];
        forEachCall(batch, (id) => read.push(id));
        expect(read).toEqual(list.filter((c) => c !== victim).map(([id]) => id));
        expect(removeCall(batch, victim[0])).toBe(false);
      }),
    );
  });

  test('mapArgs replaces every call’s arguments in place and nothing else', () => {
    fc.assert(
      fc.property(calls, (list) => {
        const batch = newCalls();
        for (const [id, t, args] of list) appendCall(batch, id, t, args);
        mapArgs(batch, (args) => ({ encoded: Array.isArray(args) ? args : args.encoded }));
        const read: [number, CallTarget, SentArgs][] = [];
        forEachCall(batch, (id, t, args) => read.push([id, t, args]));
        expect(read).toEqual(
          list.map(([id, t, args]) => [
            id,
            t,
            { encoded: Array.isArray(args) ? args : args.encoded },
          ]),
        );
      }),
    );
  });

  test('a target carries its method, group and metadata, and is a bare number when it can be', () => {
    fc.assert(
      fc.property(methodId, group, fc.option(meta, { nil: undefined }), (m, g, c) => {
        const t = targetOf(m, g, c);
        expect(methodOf(t)).toBe(m);
        expect(groupOf(t)).toBe(g);
        expect(metaOf(t)).toEqual(c);
        expect(typeof t === 'number').toBe(g === undefined && c === undefined);
      }),
    );
  });

  test('results appended to a batch are read back in order', () => {
    fc.assert(
      fc.property(results, (list) => {
        const batch = newResults();
        for (const [id, s, v] of list) appendResult(batch, id, s, v);
        const read: [number, Status, unknown][] = [];
        forEachResult(batch, (id, s, v) => read.push([id, s, v]));
        expect(read).toEqual(list);
      }),
    );
  });
});

describe('every message survives a MessagePort whole', () => {
  test('calls batches, with group overrides, metadata and encoded arguments', async () => {
    await fc.assert(
      fc.asyncProperty(calls, async (list) => {
        const batch = newCalls();
        for (const [id, t, args] of list) appendCall(batch, id, t, args);
        const read: [number, CallTarget, SentArgs][] = [];
        forEachCall(await roundTrip(batch), (id, t, args) => read.push([id, t, args]));
        expect(read).toEqual(list);
      }),
      { numRuns: 50 },
    );
  });

  test('results batches, with every status', async () => {
    await fc.assert(
      fc.asyncProperty(results, async (list) => {
        const batch = newResults();
        for (const [id, s, v] of list) appendResult(batch, id, s, v);
        const read: [number, Status, unknown][] = [];
        forEachResult(await roundTrip(batch), (id, s, v) => read.push([id, s, v]));
        expect(read).toEqual(list);
      }),
      { numRuns: 50 },
    );
  });

  test('single calls and results', async () => {
    expect(await roundTrip(oneCall(7, targetOf(2, 1), [1, 'two']))).toEqual([
      Op.Calls,
      7,
      [2, 1],
      [1, 'two'],
    ]);
    expect(await roundTrip(oneResult(7, Status.Threw, { name: 'E', message: 'm' }))).toEqual([
      Op.Results,
      7,
      Status.Threw,
      { name: 'E', message: 'm' },
    ]);
  });

  test('control messages: cancel, stream credit, shutdown, unify, kill, drained, exit, terminate', async () => {
    const fields = {
      counter: { $troupe: 'shared', type: 'counter', buffer: new SharedArrayBuffer(8) },
    };
    const messages = [
      [Op.Cancel, 12],
      [Op.StreamCredit, 12, 8],
      [Op.Shutdown],
      [Op.Shutdown, 250],
      [Op.Unify, fields],
      [Op.Kill],
      [Op.Drained, 'it called exitActor()'],
      [Op.Exiting, 'it called exitActor()', 5000],
      [Op.Exit],
      [Op.Terminate],
    ];
    for (const message of messages) expect(await roundTrip(message)).toEqual(message);
  });

  test('connect, with the new port moved across, and a handle descriptor inside a call', async () => {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const connect = (await roundTrip([Op.Connect, port1], [port1])) as [Op, MessagePort];
    expect(connect[0]).toBe(Op.Connect);
    const echoed = new Promise((resolve) => connect[1].once('message', resolve));
    port2.postMessage('through the moved port');
    expect(await echoed).toBe('through the moved port');
    connect[1].close();

    const { port1: handlePort } = new MessageChannel();
    const handle: HandleDescriptor = {
      $troupe: 'handle',
      info: {
        actorId: '1.0.1',
        name: 'Counter#1',
        kind: 'serial',
        methods: ['add'],
        groups: ['default'],
        methodTimeouts: [undefined],
        streamMethods: [],
        retries: [undefined],
      },
      port: handlePort,
    };
    const call = oneCall(1, 0, { encoded: [{ target: handle }] });
    const [received] = collectCalls(await roundTrip(call, [handlePort]));
    expect(received).toBeDefined();
    const sent = (received as [number, CallTarget, SentArgs])[2];
    const arg = (sent as { encoded: [{ target: HandleDescriptor }] }).encoded[0].target;
    expect(arg.info).toEqual(handle.info);
    expect(typeof arg.port.postMessage).toBe('function');
    arg.port.close();
  });

  test('shared primitives keep their memory across the trip', async () => {
    const buffer = new SharedArrayBuffer(8);
    const shared: SharedDescriptor = { $troupe: 'shared', type: 'counter', buffer };
    const received = await roundTrip(oneResult(3, Status.OkEncoded, shared));
    let value: SharedDescriptor | undefined;
    forEachResult(received, (_, __, v) => {
      value = v as SharedDescriptor;
    });
    new Int32Array(buffer)[0] = 42;
    expect(new Int32Array((value as SharedDescriptor).buffer)[0]).toBe(42);
  });

  test('name registry requests: register, lookup and connect', async () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const lookup: RegistryRequest = [RegistryOp.Lookup, 'default/counter', undefined, flag];
    const back = await roundTrip(lookup);
    expect(back.slice(0, 3)).toEqual([RegistryOp.Lookup, 'default/counter', undefined]);
    (back[3] as Int32Array)[0] = 1;
    expect(flag[0]).toBe(1);
    const { port1 } = new MessageChannel();
    const connect = (await roundTrip([RegistryOp.Connect, port1], [port1])) as RegistryRequest;
    expect(connect[0]).toBe(RegistryOp.Connect);
    (connect[1] as MessagePort).close();
  });
});

function collectCalls(batch: unknown): [number, CallTarget, SentArgs][] {
  const read: [number, CallTarget, SentArgs][] = [];
  forEachCall(batch as ReturnType<typeof newCalls>, (id, t, args) => read.push([id, t, args]));
  return read;
}
