/**
 * Handshakes through shared memory: a test waits for what an actor did (it bumps a cell and
 * notifies) instead of sleeping and hoping, so it passes however loaded the machine is.
 */
import { sharedArray } from '@troupe/runtime';
import { CELLS, Cell } from '../fixtures/dist/ending.js';

export { Cell };

/** Fresh cells for the ending fixtures (`Cell` names the slots). */
export function newCells(): Int32Array {
  return sharedArray(Int32Array, CELLS);
}

/** Resolves once `cells[cell]` is at least `atLeast`. */
export async function reach(cells: Int32Array, cell: Cell, atLeast: number): Promise<void> {
  for (;;) {
    const seen = Atomics.load(cells, cell);
    if (seen >= atLeast) return;
    const { async, value } = Atomics.waitAsync(cells, cell, seen);
    if (async) await value;
  }
}

/** Lets every held call return. */
export function release(cells: Int32Array): void {
  Atomics.store(cells, Cell.Release, 1);
  Atomics.notify(cells, Cell.Release);
}
