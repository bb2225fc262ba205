/**
 * A cluster's mirrors of its JetStream buckets (packages/cluster/src/directory.ts), over an
 * in-memory bucket that behaves as a KV stream does: every write a revision of one sequence, a
 * watch that replays the last entry of each key and then delivers each write in order. Its watch
 * can go quiet (deliver nothing more without ending, as a consumer nats.js remade while JetStream
 * recovered from an outage did), pass over an entry (as nats-server 2.9 did with a delete written
 * while a new watch caught up after an outage) or end. Whatever the writes and the watch's faults, the mirror
 * comes to hold what the bucket holds once it has been checked (`Mirror.check`). A quiet names
 * mirror kept a freed name in the quorum suite, and refused every later spawn of it.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { Mirror } from '../packages/cluster/dist/directory.js';

interface Written {
  key: string;
  operation: 'PUT' | 'DEL' | 'PURGE';
  revision: number;
  value?: string;
}

/** A watch of the fake bucket: delivers what it is offered, in order, until stopped. */
class FakeWatch {
  private readonly queue: Written[] = [];
  private wake: (() => void) | undefined;
  private stopped = false;
  /** Gone quiet: takes nothing more, and does not end. */
  quiet = false;
  /** Passes over the next entry it is offered (as nats-server 2.9 did once, after an outage). */
  skipNext = false;

  offer(entry: Written): void {
    if (this.stopped || this.quiet) return;
    if (this.skipNext) {
      this.skipNext = false;
      return;
    }
    this.queue.push(entry);
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator]() {
    for (;;) {
      const entry = this.queue.shift();
      if (entry !== undefined) {
        yield {
          key: entry.key,
          operation: entry.operation,
          revision: entry.revision,
          json: () => JSON.parse(entry.value as string),
        };
        continue;
      }
      if (this.stopped) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}

/** A KV bucket of history 1 in memory, with the calls a mirror makes. */
class FakeBucket {
  private seq = 0;
  readonly latest = new Map<string, Written>();
  readonly watches: FakeWatch[] = [];
  /** The next watch made delivers nothing (its consumer was made, and is stuck). */
  quietNext = false;

  /** The stream: each key's last entry, by revision (an entry written over is gone). */
  private readonly stored = new Map<number, Written>();
  readonly stream = 'KV_fake';
  readonly jsm = {
    streams: {
      getMessage: async (_stream: string, { seq }: { seq: number }) => {
        const entry = this.stored.get(seq);
        return entry === undefined ? null : { subject: `$KV.fake.${entry.key}` };
      },
    },
  };

  private write(key: string, operation: Written['operation'], value?: string): number {
    const entry: Written = { key, operation, revision: ++this.seq, value };
    const before = this.latest.get(key);
    if (before !== undefined) this.stored.delete(before.revision);
    this.stored.set(entry.revision, entry);
    this.latest.set(key, entry);
    for (const watch of this.watches) watch.offer(entry);
    return entry.revision;
  }

  async put(key: string, value: string): Promise<number> {
    return this.write(key, 'PUT', value);
  }

  async delete(key: string): Promise<void> {
    this.write(key, 'DEL');
  }

  async purge(key: string): Promise<void> {
    this.write(key, 'PURGE');
  }

  async watch(): Promise<FakeWatch> {
    const watch = new FakeWatch();
    watch.quiet = this.quietNext;
    this.quietNext = false;
    for (const entry of [...this.latest.values()].sort((a, b) => a.revision - b.revision)) {
      watch.offer(entry);
    }
    this.watches.push(watch);
    return watch;
  }

  async status() {
    return { streamInfo: { state: { last_seq: this.seq } } };
  }

  /** The watch made last (the mirror's). */
  get current(): FakeWatch {
    return this.watches[this.watches.length - 1] as FakeWatch;
  }

  /** What the bucket holds, as the mirror should: its keys and values, sentinels left out. */
  contents(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of this.latest) {
      if (entry.operation === 'PUT' && !key.startsWith('sync.')) {
        out[key] = JSON.parse(entry.value as string);
      }
    }
    return out;
  }
}

function mirrored(mirror: Mirror<unknown>): Record<string, unknown> {
  return Object.fromEntries([...mirror.entries].map(([key, entry]) => [key, entry.value]));
}

/** Lets the mirror's watch loop and any sync under way run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Checks the mirror as the cluster's watchdog does, until it holds what the bucket holds (at
 * most `rounds` checks): two checks find a watch fallen behind, and it watches anew.
 */
async function checked(mirror: Mirror<unknown>, bucket: FakeBucket, rounds = 6): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await settle();
    if (JSON.stringify(mirrored(mirror)) === JSON.stringify(bucket.contents())) return;
    await mirror.check();
  }
  await settle();
}

type Command =
  | { op: 'put'; key: string; value: number }
  | { op: 'delete'; key: string }
  | { op: 'quiet' }
  | { op: 'skip' }
  | { op: 'end' }
  | { op: 'check' };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('put' as const),
      key: fc.constantFrom('a', 'b', 'c', 'd'),
      value: fc.integer(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('delete' as const),
      key: fc.constantFrom('a', 'b', 'c', 'd'),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'quiet' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'skip' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'end' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'check' as const }) },
);

describe('a mirror of a bucket', () => {
  test('a watch gone quiet is found behind and made anew: a deleted name does not stay', async () => {
    const bucket = new FakeBucket();
    const mirror = await Mirror.start<unknown>(bucket as never, 'me');
    await bucket.put('name', JSON.stringify({ actorId: 'x' }));
    await settle();
    expect(mirrored(mirror)).toEqual({ name: { actorId: 'x' } });
    const first = bucket.current;
    first.quiet = true;
    await bucket.delete('name');
    await settle();
    // The quiet watch did not deliver the delete: the mirror still names the actor ...
    expect(mirror.get('name')).toEqual({ actorId: 'x' });
    // ... until two checks find the revision it never delivered.
    await mirror.check();
    await settle();
    expect(bucket.current).toBe(first);
    await mirror.check();
    await settle();
    expect(bucket.current).not.toBe(first);
    expect(mirror.get('name')).toBeUndefined();
    expect(mirrored(mirror)).toEqual({});
    mirror.close();
  });

  test('a delete the watch passed over is found at the next check, and the mirror watches anew', async () => {
    const bucket = new FakeBucket();
    const mirror = await Mirror.start<unknown>(bucket as never, 'me');
    await bucket.put('name', JSON.stringify({ actorId: 'x' }));
    await settle();
    const first = bucket.current;
    first.skipNext = true;
    await bucket.delete('name');
    await bucket.put('other', '1');
    await settle();
    // Later entries came, the delete did not: the mirror still names the actor ...
    expect(mirror.get('other')).toBe(1);
    expect(mirror.get('name')).toEqual({ actorId: 'x' });
    // ... until one check looks the passed-over revision up.
    await mirror.check();
    await settle();
    expect(bucket.current).not.toBe(first);
    expect(mirrored(mirror)).toEqual({ other: 1 });
    mirror.close();
  });

  test('an entry this process deleted is forgotten at once, at that revision only', async () => {
    const bucket = new FakeBucket();
    const mirror = await Mirror.start<unknown>(bucket as never, 'me');
    const revision = await bucket.put('name', '"x"');
    await settle();
    bucket.current.quiet = true;
    mirror.forget('name', revision - 1);
    expect(mirror.get('name')).toBe('x');
    mirror.forget('name', revision);
    expect(mirror.get('name')).toBeUndefined();
    mirror.close();
  });

  test('a watch that ends is made anew at once', async () => {
    const bucket = new FakeBucket();
    const mirror = await Mirror.start<unknown>(bucket as never, 'me');
    const first = bucket.current;
    first.stop();
    await settle();
    expect(bucket.current).not.toBe(first);
    await bucket.put('k', '1');
    await settle();
    expect(mirror.get('k')).toBe(1);
    mirror.close();
  });

  test('a watch made anew that delivers nothing is given up long before its timeout, and made again', async () => {
    const { SYNC_TIMEOUT_MS, STALL_MS } = Mirror;
    // Without the stall rule the resync below would wait out the (here, ten-minute) timeout.
    Mirror.SYNC_TIMEOUT_MS = 600_000;
    Mirror.STALL_MS = 200;
    try {
      const bucket = new FakeBucket();
      const mirror = await Mirror.start<unknown>(bucket as never, 'me');
      await bucket.put('k', '1');
      bucket.quietNext = true;
      await mirror.resync();
      // The first watch, the stuck one, and the one that caught up.
      expect(bucket.watches.length).toBe(3);
      await bucket.put('k', '2');
      await settle();
      expect(mirror.get('k')).toBe(2);
      mirror.close();
    } finally {
      Mirror.SYNC_TIMEOUT_MS = SYNC_TIMEOUT_MS;
      Mirror.STALL_MS = STALL_MS;
    }
  });

  test('a live watch is left alone by checks', async () => {
    const bucket = new FakeBucket();
    const mirror = await Mirror.start<unknown>(bucket as never, 'me');
    const first = bucket.current;
    for (let i = 0; i < 5; i++) {
      await bucket.put(`k${i % 2}`, String(i));
      await mirror.check();
      await settle();
    }
    expect(bucket.current).toBe(first);
    expect(mirrored(mirror)).toEqual(bucket.contents());
    mirror.close();
  });

  test('whatever the writes and the watch faults, checks bring the mirror to the bucket (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 30 }), async (commands) => {
        const bucket = new FakeBucket();
        const mirror = await Mirror.start<unknown>(bucket as never, 'me');
        try {
          for (const c of commands) {
            if (c.op === 'put') await bucket.put(c.key, JSON.stringify(c.value));
            else if (c.op === 'delete') await bucket.delete(c.key);
            else if (c.op === 'quiet') bucket.current.quiet = true;
            else if (c.op === 'skip') bucket.current.skipNext = true;
            else if (c.op === 'end') bucket.current.stop();
            else await mirror.check();
            await settle();
          }
          await checked(mirror, bucket);
          expect(mirrored(mirror)).toEqual(bucket.contents());
        } finally {
          mirror.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
