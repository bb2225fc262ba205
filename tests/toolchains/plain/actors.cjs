const { actor } = require('@troupe/runtime');

class Counter {
  n = 0;
  add(by) {
    this.n += by;
    return this.n;
  }
}
actor()(Counter);

module.exports = { Counter };
