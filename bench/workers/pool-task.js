// Task file for Piscina and tinypool: the default export echoes (call overhead); `work` runs
// the same busy loop as the Troupe Cpu actor (CPU-bound scaling).
import { spin } from '../dist/work.js';

export default function echo(x) {
  return x;
}

export function work(iterations) {
  return spin(iterations);
}
