import { actor } from '@troupe/runtime';

/** Serial: one call at a time, in the order they were made. */
@actor()
export class Counter {
  private n = 0;
  add(by: number): number {
    this.n += by;
    return this.n;
  }
}

/**
 * Async: up to four calls interleave at their `await`s on one thread. `later` returns a promise
 * without being `async`; `upper` is `async`.
 */
@actor({ maxConcurrency: 4 })
export class Fetcher {
  later(value: string): Promise<string> {
    return new Promise((resolve) => setImmediate(() => resolve(value)));
  }
  async upper(value: string): Promise<string> {
    return (await this.later(value)).toUpperCase();
  }
}

/** Threaded: sync methods run in parallel on two threads. */
@actor({ maxConcurrency: 2 })
export class Squarer {
  square(n: number): number {
    return n * n;
  }
}
