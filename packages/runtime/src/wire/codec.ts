import type { Descriptor, EncodedArgs, SentArgs, Transferable } from './protocol.js';
import { transfersOf } from './transfer.js';

/**
 * Values crossing a thread. Structured clone does the work; the codec only steps in for values it
 * cannot carry, through value handlers registered for them: actor handles (function-holding
 * objects: each becomes a descriptor with a fresh port) and shared primitives (class instances:
 * each becomes a descriptor over its memory). The hot path looks at top-level values only; a
 * nested one makes `postMessage` throw, and the sender then encodes that call deeply.
 */
export interface ValueHandler<T extends object = object, D extends Descriptor = Descriptor> {
  /** The `$troupe` tag of this handler's descriptors. */
  readonly tag: D['$troupe'];
  /** A cheap test that `value` is one of this handler's values. */
  canHandle(value: object): value is T;
  /** The cloneable form of `value`; what it must move (a new port…) joins `transfers`. */
  describe(value: T, transfers: Transferable[]): D;
  /** Whether a received object tagged `tag` really is a descriptor (user data may look alike). */
  isDescriptor(value: object): value is D;
  /** The value in this thread for a received descriptor. */
  revive(descriptor: D): unknown;
}

const handlers: ValueHandler[] = [];
const byTag = new Map<string, ValueHandler>();

/** Adds a kind of value the codec carries across threads; registering a tag again does nothing. */
export function registerValueHandler<T extends object, D extends Descriptor>(
  handler: ValueHandler<T, D>,
): void {
  if (byTag.has(handler.tag)) return;
  byTag.set(handler.tag, handler as unknown as ValueHandler);
  handlers.push(handler as unknown as ValueHandler);
}

function handlerFor(value: object): ValueHandler | undefined {
  for (let i = 0; i < handlers.length; i++) {
    const handler = handlers[i] as ValueHandler;
    if (handler.canHandle(value)) return handler;
  }
  return undefined;
}

/**
 * An array or a plain object, from any realm: a received message is built in the realm that
 * deserialized it, which is not the realm of code run in a `vm` context (Jest's), so comparing
 * with this realm's `Object.prototype` would miss it.
 */
function isPlainContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Looks at one value's top level only: adds its transfer list to `transfers` and tells whether
 * it must be deeply encoded (a registered handler carries it).
 */
export function needsEncoding(value: unknown, transfers: Transferable[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const marked = transfersOf(value);
  if (marked) for (const t of marked) transfers.push(t);
  return handlerFor(value) !== undefined;
}

/** Arguments ready to post: as they are, or deeply encoded when any needs it. */
export function prepare(values: unknown[], transfers: Transferable[]): SentArgs {
  let special = false;
  for (let i = 0; i < values.length; i++) {
    if (needsEncoding(values[i], transfers)) special = true;
  }
  if (!special) return values;
  transfers.length = 0;
  return { encoded: encodeDeep(values, transfers) as unknown[] };
}

/**
 * Copies plain objects and arrays while replacing values that handlers carry by their
 * descriptors. Whatever they must move joins `transfers`. Cycles are kept.
 */
export function encodeDeep(value: unknown, transfers: Transferable[], seen = new Map()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  const handler = handlerFor(value);
  if (handler) return handler.describe(value, transfers);
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

/** Rebuilds the values handlers carry in a freshly received value, in place. */
export function decodeDeep(value: unknown, seen = new Set<object>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const tag = (value as Partial<Descriptor>).$troupe;
  if (typeof tag === 'string') {
    const handler = byTag.get(tag);
    if (handler?.isDescriptor(value)) return handler.revive(value);
  }
  if (seen.has(value) || !isPlainContainer(value)) return value;
  seen.add(value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = decodeDeep(record[key], seen);
  return value;
}

/** Arguments as received: plain arrays are used as they are. */
export function decodeArgs(args: SentArgs): unknown[] {
  return Array.isArray(args) ? args : (decodeDeep((args as EncodedArgs).encoded) as unknown[]);
}

/** The arguments a sent call carried, as they were before encoding. */
export function argsOf(args: SentArgs): unknown[] {
  return Array.isArray(args) ? args : (args as EncodedArgs).encoded;
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

/** Closes the ports in a transfer list that was never sent, so that no thread waits on them. */
export function closePorts(transfers: readonly Transferable[]): void {
  for (const t of transfers) {
    const port = t as { close?: unknown };
    if (typeof port.close === 'function') (port as { close(): void }).close();
  }
}
