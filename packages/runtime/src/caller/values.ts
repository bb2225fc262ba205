import { SharedCounter } from '../shared/counter.js';
import { Mutex } from '../shared/mutex.js';
import { registerSharedType, sharedValues } from '../shared/primitive.js';
import { registerValueHandler } from '../wire/codec.js';
import { handleValues } from './handle.js';

/**
 * Teaches this thread's value codec the values structured clone cannot carry: actor handles and
 * shared primitives. Each entry point (the public API, a worker's host) calls it before any call
 * is sent or received, so that a fresh worker decodes a `SharedCounter` or a `Mutex` even before
 * the actor's module (which may never import them) has loaded; calling it again does nothing.
 */
export function registerBuiltins(): void {
  registerValueHandler(handleValues);
  registerValueHandler(sharedValues);
  registerSharedType('counter', (buffer) => new SharedCounter(0, buffer));
  registerSharedType('mutex', (buffer) => new Mutex(buffer));
}
