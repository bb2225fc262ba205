import { RemoteError } from '@troupe/runtime';

/**
 * One line for an error that ended a sample. A RemoteError keeps the actor's own message, so
 * the actor and method it came from are added here: "SyncFlagActor#1.ready: GET … ECONNREFUSED".
 */
export function describeError(error: unknown): string {
  if (error instanceof RemoteError) return `${error.actor}.${error.method}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
