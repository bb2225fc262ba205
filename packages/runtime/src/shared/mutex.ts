import { type SharedDescriptor, SharedPrimitive } from './primitive.js';

const UNLOCKED = 0;
const LOCKED = 1;

/**
 * A mutual-exclusion lock across threads. `lock()` blocks the calling thread (fine inside a
 * threaded actor's replica; on the main thread it freezes the event loop, so use `lockAsync()`).
 * Not re-entrant.
 */
export class Mutex extends SharedPrimitive {
  private readonly state: Int32Array;

  constructor(buffer?: SharedArrayBuffer) {
    super(buffer ?? new SharedArrayBuffer(4));
    this.state = new Int32Array(this.buffer);
  }

  tryLock(): boolean {
    return Atomics.compareExchange(this.state, 0, UNLOCKED, LOCKED) === UNLOCKED;
  }

  lock(): void {
    while (!this.tryLock()) Atomics.wait(this.state, 0, LOCKED);
  }

  /** Waits for the lock without blocking the event loop. */
  async lockAsync(): Promise<void> {
    while (!this.tryLock()) {
      const { async, value } = Atomics.waitAsync(this.state, 0, LOCKED);
      if (async) await value;
    }
  }

  unlock(): void {
    if (Atomics.compareExchange(this.state, 0, LOCKED, UNLOCKED) !== LOCKED) {
      throw new Error('Mutex.unlock(): the mutex is not locked');
    }
    Atomics.notify(this.state, 0, 1);
  }

  /** Runs `fn` holding the lock, and releases it however `fn` ends. */
  withLock<T>(fn: () => T): T {
    this.lock();
    try {
      return fn();
    } finally {
      this.unlock();
    }
  }

  describe(): SharedDescriptor {
    return { $troupe: 'shared', type: 'mutex', buffer: this.buffer };
  }
}
