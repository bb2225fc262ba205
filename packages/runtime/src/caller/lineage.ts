/**
 * Which running call made a new call: an actor's call that makes calls is their parent, and
 * cancelling it cancels them (Ray's recursive cancel). The host of this thread says which call is
 * running (`setParentSource`, wired by the composition roots); a thread hosting no actor has none.
 */

/** What a running call made: each is cancelled with it. */
export type Children = Set<{ cancelAsChild(): void }>;

let source: (() => Children | undefined) | undefined;
let onFirstHandle: (() => void) | undefined;

/**
 * Runs `start` when this thread first holds a handle: from then on its actor can make calls, and
 * the host starts following its calls past their awaits (wired by a worker's composition root).
 */
export function whenHandlesExist(start: () => void): void {
  onFirstHandle = start;
}

/** A handle was made in this thread. */
export function handleMade(): void {
  if (onFirstHandle === undefined) return;
  const start = onFirstHandle;
  onFirstHandle = undefined;
  start();
}

/** Where this thread finds the running call's children (set once by a composition root). */
export function setParentSource(find: () => Children | undefined): void {
  source = find;
}

/** The children of the actor call running now in this thread, if a call is running. */
export function childrenOfRunningCall(): Children | undefined {
  return source === undefined ? undefined : source();
}
