/**
 * Work shared by the Troupe actors and the Piscina/tinypool task file, so every contender runs
 * the same code. This module has no top-level effects: workers import it.
 */

/**
 * Deterministic busy work that the JIT cannot skip: `iterations` rounds of xorshift32. The seed
 * fits in an int32 on purpose: a larger one (a double) made V8's fully optimised code keep `x` as
 * a float and run about 3x slower than its on-stack-replaced code, so the speed of a call
 * depended on how many calls a thread had run before.
 */
export function spin(iterations: number): number {
  let x = 88675123;
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x >>> 0;
}

/** Blocks the calling thread for `ms` without spinning, as a blocking IO call would. */
export function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
