import { refOf } from '../caller/handle.js';
import { ActorDefinitionError } from '../errors.js';
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

/** Options of `shutdown`. */
export interface ShutdownOptions {
  /**
   * How long running calls (and `onShutdown()`) may take; then the actors are ended, and calls
   * still running reject with `ActorDiedError`. @default no limit (onShutdown: 5 s)
   */
  timeoutMs?: number;
}

/**
 * Ends every actor this thread spawned: calls not yet started reject with `ActorDiedError`,
 * running calls finish (within `timeoutMs`, where given), each actor's `onShutdown()` runs, then
 * the threads exit. The process can then end by itself.
 */
export async function shutdown(options: ShutdownOptions = {}): Promise<void> {
  await Promise.all(ownedRecords().map((record) => record.shutdown(options.timeoutMs)));
}
