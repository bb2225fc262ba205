import { test } from '@jest/globals';

/**
 * Whether this run hosts actors in-process over the fake bus (jest project "fake transport")
 * rather than in worker threads.
 */
export const onFakeTransport =
  (globalThis as { troupeFakeTransport?: boolean }).troupeFakeTransport === true;

/**
 * A test of what only a worker thread has (a thread of its own to block, exit or own children):
 * it runs on worker threads and is skipped on the fake transport, which hosts actors in the
 * test's own thread.
 */
export const threadsOnly: typeof test = onFakeTransport ? test.skip : test;
