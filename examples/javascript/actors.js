// Plain JavaScript: Node 20 has no decorator syntax, so the decorator is called on the class.
// Without the analysis the kind comes from the methods: `upper` is `async`, so Fetcher is async.
import { actor } from '@troupe/runtime';

export class Counter {
  n = 0;
  add(by) {
    this.n += by;
    return this.n;
  }
}
actor()(Counter);

export class Fetcher {
  later(value) {
    return new Promise((resolve) => setImmediate(() => resolve(value)));
  }
  async upper(value) {
    return (await this.later(value)).toUpperCase();
  }
}
actor({ maxConcurrency: 4 })(Fetcher);

export class Squarer {
  square(n) {
    return n * n;
  }
}
actor({ maxConcurrency: 2 })(Squarer);
