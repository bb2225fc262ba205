import { sharedValues } from '../shared/primitive.js';
import { registerValueHandler } from '../wire/codec.js';
import { handleValues } from './handle.js';

/**
 * Teaches this thread's value codec the values structured clone cannot carry: actor handles and
 * shared primitives. Each entry point (the public API, a worker's host) calls it before any call
 * is sent; calling it again does nothing.
 */
export function registerBuiltins(): void {
  registerValueHandler(handleValues);
  registerValueHandler(sharedValues);
}
