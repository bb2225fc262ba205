import type { ActorRecord, ActorSummary } from './record.js';

const owned = new Map<string, ActorRecord>();

export function register(record: ActorRecord): void {
  owned.set(record.ref.info.actorId, record);
  record.exited.then(() => owned.delete(record.ref.info.actorId));
}

export function ownedRecord(actorId: string): ActorRecord | undefined {
  return owned.get(actorId);
}

/** The actors this thread spawned and that are still alive, with their call counts. */
export function listActors(): ActorSummary[] {
  return [...owned.values()].map((record) => record.summary());
}

export function ownedRecords(): ActorRecord[] {
  return [...owned.values()];
}
