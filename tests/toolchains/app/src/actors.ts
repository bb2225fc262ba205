import { actor } from '@troupe/runtime';

/** Serial: one call at a time. */
@actor()
export class Counter {
  private n = 0;
  add(by: number): number {
    this.n += by;
    return this.n;
  }
}

/** Async: one method returns a promise without being `async`, the other is `async`. */
@actor({ maxConcurrency: 4 })
export class Fetcher {
  later(value: string): Promise<string> {
    return new Promise((resolve) => setImmediate(() => resolve(value)));
  }
  async upper(value: string): Promise<string> {
    return (await this.later(value)).toUpperCase();
  }
}

/** Only a Promise-returning method, not `async`: async under the analysis, refused without it. */
@actor({ maxConcurrency: 4 })
export class Delayer {
  later(value: number): Promise<number> {
    return new Promise((resolve) => setImmediate(() => resolve(value)));
  }
}

/** Threaded: sync methods on two threads. */
@actor({ maxConcurrency: 2 })
export class Squarer {
  square(n: number): number {
    return n * n;
  }
}
