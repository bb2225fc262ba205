/**
 * Blocks the calling thread for `ms` milliseconds, as Python's `time.sleep` does in Ray's sync
 * actors: `Atomics.wait` on a value nobody changes parks the thread without burning a core.
 * The cell is made per call so no module state is shared between the threads that load this.
 */
export function blockingSleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
