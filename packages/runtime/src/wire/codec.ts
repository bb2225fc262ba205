import {
  isSharedDescriptor,
  reviveShared,
  type SharedDescriptor,
  SharedPrimitive,
} from '../shared/primitive.js';
import type { EncodedArgs, HandleDescriptor, Transferable } from './protocol.js';
import { transfersOf } from './transfer.js';

/**
 * Values crossing a thread. Structured clone does the work; the codec only steps in for what it
 * cannot carry: actor handles (a handle is a function-holding object: it becomes a descriptor with
 * a fresh MessagePort) and shared primitives (class instances: they become descriptors). The hot
 * path looks at top-level values only; a nested handle makes `postMessage` throw, and the sender
 * then encodes that call deeply (`encodeDeep`).
 */

export interface HandleCodec {
  /** A cheap test that `value` is a handle. */
  isHandle(value: object): boolean;
  /** The descriptor to send for `value` if it is a handle, with a new port to its actor. */
  describe(value: object): HandleDescriptor | undefined;
  /** A handle in this thread for a received descriptor. */
  revive(descriptor: HandleDescriptor): object;
}

let handles: HandleCodec | undefined;

/** Installed by the client's handle module, which the codec must not import (it imports us). */
export function installHandleCodec(codec: HandleCodec): void {
  handles = codec;
}

function isPlainContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Looks at one value's top level only: adds its transfer list to `transfers` and tells whether
 * it must be deeply encoded (it is a handle or a shared primitive).
 */
export function needsEncoding(value: unknown, transfers: Transferable[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const marked = transfersOf(value);
  if (marked) for (const t of marked) transfers.push(t);
  return value instanceof SharedPrimitive || handles?.isHandle(value) === true;
}

/** Arguments ready to post: as they are, or deeply encoded when any needs it. */
export function prepare(values: unknown[], transfers: Transferable[]): unknown[] | EncodedArgs {
  let special = false;
  for (let i = 0; i < values.length; i++) {
    if (needsEncoding(values[i], transfers)) special = true;
  }
  if (!special) return values;
  transfers.length = 0;
  return { encoded: encodeDeep(values, transfers) as unknown[] };
}

/**
 * Copies plain objects and arrays while replacing handles and shared primitives by descriptors.
 * New ports minted for handles join `transfers`. Cycles are kept.
 */
export function encodeDeep(value: unknown, transfers: Transferable[], seen = new Map()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (value instanceof SharedPrimitive) return value.describe();
  if (handles?.isHandle(value)) {
    const descriptor = handles.describe(value);
    if (descriptor) {
      transfers.push(descriptor.port);
      return descriptor;
    }
  }
  const marked = transfersOf(value);
  if (marked) for (const t of marked) if (!transfers.includes(t)) transfers.push(t);
  if (!isPlainContainer(value)) return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (let i = 0; i < value.length; i++) copy.push(encodeDeep(value[i], transfers, seen));
    return copy;
  }
  const copy: Record<string, unknown> = Object.create(Object.getPrototypeOf(value));
  seen.set(value, copy);
  for (const key of Object.keys(value)) {
    copy[key] = encodeDeep((value as Record<string, unknown>)[key], transfers, seen);
  }
  return copy;
}

/** Rebuilds handles and shared primitives in a freshly received value, in place. */
export function decodeDeep(value: unknown, seen = new Set<object>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (isSharedDescriptor(value)) return reviveShared(value as SharedDescriptor);
  if ((value as HandleDescriptor).$troupe === 'handle' && handles) {
    return handles.revive(value as HandleDescriptor);
  }
  if (seen.has(value) || !isPlainContainer(value)) return value;
  seen.add(value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = decodeDeep(record[key], seen);
  return value;
}

/** Arguments as received: plain arrays are used as they are. */
export function decodeArgs(args: unknown[] | EncodedArgs): unknown[] {
  return Array.isArray(args) ? args : (decodeDeep(args.encoded) as unknown[]);
}

export function isDataCloneError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    ((error as Error).name === 'DataCloneError' ||
      // Node reports a port missing from the transfer list as a TypeError.
      (error as { code?: string }).code === 'ERR_MISSING_TRANSFERABLE_IN_TRANSFER_LIST')
  );
}

/** Index and reason of the first value that structured clone rejects, if any. */
export function findUncloneable(values: unknown[]): { index: number; reason: string } | undefined {
  for (let i = 0; i < values.length; i++) {
    try {
      structuredClone(values[i]);
    } catch (error) {
      return { index: i, reason: (error as Error).message };
    }
  }
  return undefined;
}
