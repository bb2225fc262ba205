// CommonJS: require() loads the runtime, an ES module, from Node 20.19 on.
const { actor } = require('@troupe/runtime');

class Counter {
  n = 0;
  add(by) {
    this.n += by;
    return this.n;
  }
}
actor()(Counter);

class Fetcher {
  later(value) {
    return new Promise((resolve) => setImmediate(() => resolve(value)));
  }
  async upper(value) {
    return (await this.later(value)).toUpperCase();
  }
}
actor({ maxConcurrency: 4 })(Fetcher);

class Squarer {
  square(n) {
    return n * n;
  }
}
actor({ maxConcurrency: 2 })(Squarer);

module.exports = { Counter, Fetcher, Squarer };
