import { type SharedDescriptor, SharedPrimitive } from './primitive.js';

/**
 * An integer counter every thread sees, updated atomically. Pass it in `spawn` args (or create it
 * in a threaded actor's constructor: replicas then share replica 0's counter).
 *
 * @example
 * const done = new SharedCounter();
 * spawn(Worker, { args: [done] });   // inside: this.done.increment()
 * done.get();
 */
export class SharedCounter extends SharedPrimitive {
  private readonly cell: BigInt64Array;

  /** @param initial The starting value (default 0); integers within ±2^53 stay exact. */
  constructor(initial = 0, buffer?: SharedArrayBuffer) {
    super(buffer ?? new SharedArrayBuffer(8));
    this.cell = new BigInt64Array(this.buffer);
    if (!buffer) this.cell[0] = BigInt(initial);
  }

  get(): number {
    return Number(Atomics.load(this.cell, 0));
  }

  set(value: number): void {
    Atomics.store(this.cell, 0, BigInt(value));
  }

  /** Adds `delta` and returns the new value. */
  add(delta = 1): number {
    const d = BigInt(delta);
    return Number(Atomics.add(this.cell, 0, d) + d);
  }

  increment(): number {
    return this.add(1);
  }

  decrement(): number {
    return this.add(-1);
  }

  /** Raises the value to at least `value` (a running maximum); returns the value now held. */
  max(value: number): number {
    const v = BigInt(value);
    for (;;) {
      const seen = Atomics.load(this.cell, 0);
      if (seen >= v) return Number(seen);
      if (Atomics.compareExchange(this.cell, 0, seen, v) === seen) return value;
    }
  }

  describe(): SharedDescriptor {
    return { $troupe: 'shared', type: 'counter', buffer: this.buffer };
  }
}
