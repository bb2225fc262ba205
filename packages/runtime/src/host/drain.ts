/** How an ending actor finishes: its `onShutdown()` hook, bounded, and its last output. */
import { isActorExit } from './call-context.js';

/** How long `onShutdown()` may take when `shutdown()` gives no `timeoutMs` (ms). */
export const DEFAULT_HOOK_TIMEOUT_MS = 5000;
/**
 * How long an actor that called `exitActor()` has to end: its `onShutdown()` and its thread's
 * exit handlers run within it, then its owner ends the thread (ms).
 */
export const EXIT_GRACE_MS = DEFAULT_HOOK_TIMEOUT_MS;
/** How long an ending actor waits for its printed output to reach the parent (ms). */
const OUTPUT_FLUSH_MS = 1000;

/**
 * Runs the instance's `onShutdown()`, if it has one, for at most `timeoutMs`; a hook that throws
 * or overruns is reported with the actor's name, and the actor ends all the same.
 */
export function runShutdownHook(
  instance: object | undefined,
  actorName: string,
  timeoutMs: number,
): Promise<void> {
  const hook = (instance as { onShutdown?: unknown } | undefined)?.onShutdown;
  if (typeof hook !== 'function') return Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const bounded = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      console.error(
        `onShutdown() of actor ${actorName} did not finish within ${timeoutMs} ms; ` +
          'the actor ends without waiting for it.',
      );
      resolve();
    }, timeoutMs);
  });
  const run = (async () => hook.call(instance))().catch((error: unknown) => {
    if (!isActorExit(error)) console.error(`onShutdown() of actor ${actorName} threw:`, error);
  });
  return Promise.race([run, bounded]).then(() => clearTimeout(timer));
}

/**
 * Resolves once the parent thread has taken everything written to stdout and stderr: a worker's
 * write callback fires only then, in order, so an empty write's callback comes after the rest.
 */
export function flushOutput(): Promise<void> {
  const flushed = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => {
      stream.write('', () => resolve());
    });
  const bound = new Promise<void>((resolve) => setTimeout(resolve, OUTPUT_FLUSH_MS).unref());
  return Promise.race([
    Promise.all([flushed(process.stdout), flushed(process.stderr)]),
    bound,
  ]).then(() => undefined);
}
