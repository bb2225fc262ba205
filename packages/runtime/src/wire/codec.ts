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

/**
 * Arguments ready to post: as they are, or deeply encoded when any needs it. What they must move
 * joins `transfers`, after what earlier calls of the same batch put there.
 */
export function prepare(values: unknown[], transfers: Transferable[]): SentArgs {
  const start = transfers.length;
  let special = false;
  for (let i = 0; i < values.length; i++) {
    if (needsEncoding(values[i], transfers)) special = true;
  }
  if (!special) return values;
  // Only this call's top-level marks go: encoding finds them again, with the rest.
  transfers.length = start;
  const sent: EncodedArgs = { encoded: encodeDeep(values, transfers) as unknown[] };
  originals.set(sent, values);
  return sent;
}

/** The arguments as given, of arguments `prepare` encoded: a batch that failed is sent again. */
const originals = new WeakMap<EncodedArgs, unknown[]>();

/** Tag of a user object that has an own `$troupe` key: its data travel under `value`. */
const ESCAPED = 'escaped';

interface EscapedDescriptor extends Descriptor {
  $troupe: typeof ESCAPED;
  value: Record<string, unknown>;
}

/** Sets an own data property, even one named `__proto__` (which `copy[key] =` would not). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

/**
 * Copies plain objects and arrays while replacing values that handlers carry by their
 * descriptors. Whatever they must move joins `transfers`. Cycles are kept. A user object with an
 * own `$troupe` key travels escaped, so that the receiver never takes it for a descriptor. With
 * `dry`, handled values become `null` and nothing is described (no port is made): a search for
 * what cannot be cloned. It throws whatever reading the value throws (a getter, a Proxy's trap,
 * a stack overflow on very deep nesting): callers fail the one call that carried it.
 */
export function encodeDeep(
  value: unknown,
  transfers: Transferable[],
  seen = new Map<object, unknown>(),
  dry = false,
): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  const handler = handlerFor(value);
  if (handler) return dry ? null : handler.describe(value, transfers);
  const marked = transfersOf(value);
  if (marked) for (const t of marked) if (!transfers.includes(t)) transfers.push(t);
  if (!isPlainContainer(value)) return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (let i = 0; i < value.length; i++) copy.push(encodeDeep(value[i], transfers, seen, dry));
    return copy;
  }
  const copy: Record<string, unknown> = Object.create(Object.getPrototypeOf(value));
  const escaped = Object.hasOwn(value, '$troupe');
  const sent: unknown = escaped ? ({ $troupe: ESCAPED, value: copy } as EscapedDescriptor) : copy;
  seen.set(value, sent);
  for (const key of Object.keys(value)) {
    setOwn(copy, key, encodeDeep((value as Record<string, unknown>)[key], transfers, seen, dry));
  }
  return sent;
}

/**
 * Rebuilds the values handlers carry in a freshly received value, in place. Only what
 * `encodeDeep` made is decoded: a user object with an own `$troupe` key arrives escaped.
 */
export function decodeDeep(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  const tag = (value as Partial<Descriptor>).$troupe;
  if (typeof tag === 'string' && isPlainContainer(value) && !Array.isArray(value)) {
    if (tag === ESCAPED) {
      const inner = (value as EscapedDescriptor).value;
      seen.set(value, inner);
      decodeChildren(inner, seen);
      return inner;
    }
    const handler = byTag.get(tag);
    if (handler?.isDescriptor(value)) {
      const revived = handler.revive(value);
      seen.set(value, revived);
      return revived;
    }
  }
  if (!isPlainContainer(value)) return value;
  decodeChildren(value, seen);
  return value;
}

function decodeChildren(value: object, seen: Map<object, unknown>): void {
  seen.set(value, value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const child = record[key];
    if (typeof child !== 'object' || child === null) continue;
    const decoded = decodeDeep(child, seen);
    if (decoded !== child) setOwn(record, key, decoded);
  }
}

/** Arguments as received: plain arrays are used as they are. */
export function decodeArgs(args: SentArgs): unknown[] {
  return Array.isArray(args) ? args : (decodeDeep((args as EncodedArgs).encoded) as unknown[]);
}

/** The arguments a call carries, as they were before encoding. */
export function argsOf(args: SentArgs): unknown[] {
  if (Array.isArray(args)) return args;
  return originals.get(args as EncodedArgs) ?? (args as EncodedArgs).encoded;
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

/** What an error says, read without trusting it (a hostile error's getters may throw). */
export function reasonOf(error: unknown): string {
  try {
    if (typeof error === 'object' && error !== null) {
      const message = (error as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    }
    return String(error);
  } catch {
    return 'it cannot be read: reading it threw';
  }
}

/**
 * Index and reason of the first value that cannot be sent, if any: one whose reading throws (a
 * getter, a Proxy's trap, nesting too deep) or that structured clone rejects. Handles and shared
 * primitives count as sendable.
 */
export function findUncloneable(values: unknown[]): { index: number; reason: string } | undefined {
  for (let i = 0; i < values.length; i++) {
    try {
      structuredClone(encodeDeep(values[i], [], new Map(), true));
    } catch (error) {
      return { index: i, reason: reasonOf(error) };
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
