import type { Transferable } from './protocol.js';

const marks = new WeakMap<object, Transferable[]>();

/**
 * Marks `value` (an argument, or a method's result) so that `transferables` are moved to the
 * receiving thread instead of copied; they become unusable here.
 *
 * @example
 * await handle.process(transfer(bytes, [bytes.buffer]));
 */
export function transfer<T>(value: T, transferables: Transferable[]): T {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(
      'transfer(value, transferables): value must be an object (an ArrayBuffer, a typed array or ' +
        'an object holding them) so that it can carry the transfer list',
    );
  }
  marks.set(value, transferables);
  return value;
}

export function transfersOf(value: unknown): Transferable[] | undefined {
  return typeof value === 'object' && value !== null ? marks.get(value) : undefined;
}
