import { refOf } from '../caller/handle.js';
import { ActorDefinitionError } from '../errors.js';
import { timeoutOf } from '../options.js';
import { DEFAULT_SHUTDOWN_GRACE_MS } from './host-worker.js';
import { ownedRecord, ownedRecords } from './owned.js';

/**
 * Ends an actor at once, whatever it is doing: its pending and later calls reject with
 * `ActorDiedError`. With `{ noRestart: false }` (Ray's option; `true` by default) it ends as a
 * crash would, and restarts if its `maxRestarts` allows. Resolves when its threads have exited (from the thread that spawned it) or
 * once the request is sent (from a thread that was handed the handle).
 */
export async function kill(handle: object, options: { noRestart?: boolean } = {}): Promise<void> {
  const ref = refOf(handle);
  if (!ref) {
    throw new ActorDefinitionError('kill(handle): not an actor handle (use what spawn returned).');
  }
  const record = ownedRecord(ref.info.actorId);
  await (record ? record.kill(options.noRestart ?? true) : ref.kill());
}

/** Options of `terminate`. */
export interface TerminateOptions {
  /**
   * How long the actor may take to run the calls already made and its `onShutdown()`; then it is
   * ended whatever it is doing, and calls still pending reject with `ActorDiedError`
   * (`mayHaveRun: true`). From 0 to 2147483647 ms, or `Infinity`.
   * @default Infinity (no limit)
   * @example terminate(indexer, { timeoutMs: 10_000 })
   */
  timeoutMs?: number;
}

/** The longest delay a Node timer keeps; beyond it, a timer fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A `timeoutMs` option checked at once: undefined or `Infinity` means no limit (undefined is
 * returned), anything but a number from 0 to `MAX_TIMER_MS` throws a `TypeError` naming it.
 */
function checkTimeout(where: string, value: unknown): number | undefined {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return undefined;
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_TIMER_MS)) {
    throw new TypeError(
      `${where}: timeoutMs must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, or ` +
        `Infinity for no limit; got ${String(value)}.`,
    );
  }
  return value;
}

/**
 * Ends an actor gracefully, as Ray's `actor.__ray_terminate__`: the calls already made (queued
 * or running) run to their end, later calls reject with `ActorDiedError`, `onShutdown()` runs,
 * then its threads end; it is not restarted. Resolves once the actor has ended (from the thread
 * that spawned it) or once the request is sent (from a thread that was handed the handle).
 * `timeoutMs` bounds the whole end: past it, the actor is ended at once, as by `kill`. A
 * `timeoutMs` that is negative, NaN or not a number throws a `TypeError` at once, and nothing
 * is ended.
 *
 * @example
 * indexer.add(doc);                      // runs
 * await terminate(indexer);              // after it, onShutdown(), then the actor ends
 * await indexer.add(doc);                // rejects with ActorDiedError
 */
export function terminate(handle: object, options: TerminateOptions = {}): Promise<void> {
  const timeoutMs = checkTimeout('terminate(handle, { timeoutMs })', options.timeoutMs);
  const ref = refOf(handle);
  if (!ref) {
    throw new ActorDefinitionError(
      'terminate(handle): not an actor handle (use what spawn returned).',
    );
  }
  const record = ownedRecord(ref.info.actorId);
  return record ? record.terminate(timeoutMs) : ref.terminate(timeoutMs);
}

/** Options of `shutdown`. */
export interface ShutdownOptions {
  /**
   * How long running calls (and `onShutdown()`) may take; then the actors are ended, and calls
   * still running reject with `ActorDiedError`. Infinity waits as long as it takes. After a
   * second, what is still running is printed. @default 5000 (the same as `onShutdown`'s)
   */
  timeoutMs?: number;
}

/**
 * Ends every actor this thread spawned: calls not yet started reject with `ActorDiedError`,
 * running calls finish (within `timeoutMs`, where given), each actor's `onShutdown()` runs, then
 * the threads exit. The process can then end by itself.
 */
export function shutdown(options: ShutdownOptions = {}): Promise<void> {
  const given = timeoutOf('shutdown(options)', options.timeoutMs);
  const timeoutMs =
    options.timeoutMs === Number.POSITIVE_INFINITY
      ? undefined
      : (given ?? DEFAULT_SHUTDOWN_GRACE_MS);
  return Promise.all(ownedRecords().map((record) => record.shutdown(timeoutMs, true))).then(
    () => undefined,
  );
}
