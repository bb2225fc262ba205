import {
  type ActorHandle,
  actor,
  Mutex,
  method,
  perThread,
  SharedCounter,
  sharedArray,
} from '@troupe/runtime';

const LIMIT = 10;
const NAMES = ['a', 'b'];

/** Threaded, and safe: shared primitives, constructor-only writes, a per-thread cache. */
@actor({ maxConcurrency: 4 })
export class Safe {
  private readonly total = new SharedCounter(0);
  private readonly lock = new Mutex();
  private readonly slots = sharedArray(Int32Array, 8);
  private readonly given: Int32Array<SharedArrayBuffer>;
  @perThread() private cache = new Map<string, number>();
  private base: number;
  private items: string[] = [];

  constructor(base: number, given: Int32Array<SharedArrayBuffer>) {
    this.base = base;
    this.items.push('init');
    this.given = given;
  }
  add(n: number): number {
    this.lock.lock();
    try {
      this.slots[0] += n;
      this.given[1] = n;
      Atomics.add(this.slots, 1, n);
      return this.total.add(n);
    } finally {
      this.lock.unlock();
    }
  }
  cached(k: string): number {
    let v = this.cache.get(k);
    if (v === undefined) {
      v = k.length + this.base;
      this.cache.set(k, v);
    }
    return v + LIMIT + NAMES.length;
  }
  @method({ threadSafe: true })
  tolerated(x: string): void {
    this.items.push(x);
  }
  snapshot(): string[] {
    const items = this.items;
    return items.slice();
  }
  locals(): number {
    let n = 0;
    n += 1;
    const list: number[] = [];
    list.push(n);
    return n;
  }
}

/** Async with maxConcurrency 1: a sync method blocks nothing else. */
@actor({ maxConcurrency: 1 })
export class OneByOne {
  async fetch(): Promise<number> {
    return 1;
  }
  size(): number {
    return 1;
  }
}

@actor({ concurrencyGroups: { io: 1, cpu: 2 } })
export class Grouped {
  @method({ concurrencyGroup: 'io' })
  read(): number {
    return 1;
  }
  @method({ concurrencyGroup: 'cpu' })
  crunch(): number {
    return 2;
  }
}

/** Serial: one instance, one call at a time, so it may change its own fields. */
@actor()
export class Serial {
  private n = 0;
  incr(by: number): number {
    this.n += by;
    return this.n;
  }
  send(
    point: { x: number; y: number },
    when: Date,
    index: Map<string, number[]>,
    bytes: Uint8Array,
    peer: ActorHandle<Serial>,
  ): { ok: boolean; at: Date } {
    void point;
    void index;
    void bytes;
    void peer;
    return { ok: true, at: when };
  }
}
