/**
 * Shared primitives: state that threads of a threaded actor (or any actors) really share, built on
 * SharedArrayBuffer and Atomics. A class instance loses its prototype when structured-cloned, so
 * each primitive crosses a thread as a descriptor and is rebuilt on arrival.
 */

import type { ValueHandler } from '../wire/codec.js';
import type { SharedDescriptor } from '../wire/protocol.js';

export type { SharedDescriptor };

type Reviver = (buffer: SharedArrayBuffer) => SharedPrimitive;
const revivers = new Map<string, Reviver>();

export abstract class SharedPrimitive {
  protected constructor(
    /** The memory every copy of this primitive works on. */
    readonly buffer: SharedArrayBuffer,
  ) {}

  /** The cloneable form of this primitive, rebuilt by `reviveShared` in the receiving thread. */
  abstract describe(): SharedDescriptor;
}

export function registerSharedType(type: string, revive: Reviver): void {
  revivers.set(type, revive);
}

export function isSharedDescriptor(value: unknown): value is SharedDescriptor {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as SharedDescriptor).$troupe === 'shared' &&
    isSharedArrayBuffer((value as SharedDescriptor).buffer)
  );
}

export function reviveShared(descriptor: SharedDescriptor): SharedPrimitive {
  const revive = revivers.get(descriptor.type);
  if (!revive) throw new TypeError(`Unknown shared primitive type '${descriptor.type}'`);
  return revive(descriptor.buffer);
}

/** How shared primitives cross threads: registered with the value codec by `registerBuiltins()`. */
export const sharedValues: ValueHandler<SharedPrimitive, SharedDescriptor> = {
  tag: 'shared',
  canHandle: (value): value is SharedPrimitive => value instanceof SharedPrimitive,
  describe: (value) => value.describe(),
  isDescriptor: isSharedDescriptor,
  revive: reviveShared,
};

/** A typed array over a SharedArrayBuffer: it is shared as it is by structured clone. */
export function isSharedTypedArray(value: unknown): value is ArrayBufferView {
  return ArrayBuffer.isView(value) && isSharedArrayBuffer(value.buffer);
}

/**
 * A SharedArrayBuffer from any realm: received values are built in the realm that deserialized
 * them, which code in a `vm` context (Jest's) does not share, so `instanceof` would miss them.
 */
function isSharedArrayBuffer(value: unknown): value is SharedArrayBuffer {
  return Object.prototype.toString.call(value) === '[object SharedArrayBuffer]';
}
