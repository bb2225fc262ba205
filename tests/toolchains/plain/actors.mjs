// Plain JavaScript: Node 20 has no decorator syntax, so the decorator is called on the class.
import { actor } from '@troupe/runtime';

export class Counter {
  n = 0;
  add(by) {
    this.n += by;
    return this.n;
  }
}
actor()(Counter);

export class Delayer {
  later(value) {
    return new Promise((resolve) => setImmediate(() => resolve(value)));
  }
}
actor({ maxConcurrency: 2 })(Delayer);
