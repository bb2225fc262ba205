import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Where this thread stands. A worker imports its actor's module, and that import re-runs the
 * module's top-level code: if that code spawns actors, every worker would spawn more workers.
 * The host runs the import inside `moduleLoading`, and `spawn` refuses to run there, including
 * in async code the top-level code started (`main()` continuing after an `await`).
 */
export const moduleLoading = new AsyncLocalStorage<string>();

let violation: Error | undefined;

/** The first spawn refused while the actor's module loaded, for the host to report. */
export function loadViolation(): Error | undefined {
  return violation;
}

export function recordLoadViolation(error: Error): void {
  violation ??= error;
}
