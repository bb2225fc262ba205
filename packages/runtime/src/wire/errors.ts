import { brandRemote, RemoteError } from '../errors.js';
import type { SerializedError } from './protocol.js';

const MAX_CAUSE_DEPTH = 8;
const OWN = new Set(['name', 'message', 'stack', 'cause']);

function looksLikeError(value: unknown): value is Error {
  // `instanceof Error` misses errors from other realms (vm contexts).
  return (
    value instanceof Error ||
    (typeof value === 'object' && value !== null && 'message' in value && 'stack' in value)
  );
}

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Reads `key` of a value that may be hostile (a getter or a Proxy trap that throws). */
function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return undefined;
  try {
    return String(value);
  } catch {
    return undefined;
  }
}

/**
 * Turns anything a method threw into something that survives `postMessage`, whatever it is: a
 * value that cannot be read whole (a Proxy, throwing getters) still gives what can be read of its
 * name, message and stack, as strings.
 */
export function serializeError(thrown: unknown, depth = 0): SerializedError {
  try {
    return serializeWhole(thrown, depth);
  } catch {
    return serializeReadable(thrown);
  }
}

function serializeWhole(thrown: unknown, depth: number): SerializedError {
  if (!looksLikeError(thrown)) {
    return {
      isError: false,
      name: 'Error',
      message: describeValue(thrown),
      value: cloneable(thrown) ? thrown : describeValue(thrown),
    };
  }
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(thrown)) {
    const value = (thrown as unknown as Record<string, unknown>)[key];
    if (!OWN.has(key) && key !== '__proto__' && cloneable(value)) props[key] = value;
  }
  const cause = (thrown as { cause?: unknown }).cause;
  return {
    isError: true,
    name: String(thrown.name),
    message: String(thrown.message),
    stack: typeof thrown.stack === 'string' ? thrown.stack : undefined,
    className: text(thrown.constructor?.name),
    chain: classChain(thrown),
    props,
    cause:
      cause !== undefined && depth < MAX_CAUSE_DEPTH ? serializeError(cause, depth + 1) : undefined,
  };
}

/** Names of the classes in `error`'s prototype chain, below `Object`. */
function classChain(error: object): string[] {
  const names: string[] = [];
  try {
    for (
      let proto = Object.getPrototypeOf(error);
      proto !== null && proto !== Object.prototype && names.length < 32;
      proto = Object.getPrototypeOf(proto)
    ) {
      const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
      if (typeof ctor === 'function' && typeof ctor.name === 'string') names.push(ctor.name);
    }
  } catch {
    // A hostile prototype (a Proxy whose traps throw): the names read so far.
  }
  return names;
}

/** What can be read of a thrown value that could not be read whole: strings alone. */
function serializeReadable(thrown: unknown): SerializedError {
  if (typeof thrown !== 'object' || thrown === null) {
    return { isError: false, name: 'Error', message: describeValue(thrown), value: undefined };
  }
  const message = text(read(thrown, 'message'));
  return {
    isError: message !== undefined,
    name: text(read(thrown, 'name')) ?? 'Error',
    message: message ?? 'a thrown value that could not be read',
    stack: text(read(thrown, 'stack')),
  };
}

type FindClass = (className: string | undefined) => (new (...a: never[]) => Error) | undefined;

function define(target: object, key: string, value: unknown): void {
  try {
    Object.defineProperty(target, key, { value, writable: true, configurable: true });
  } catch {
    // A frozen or exotic prototype chain: the property is left out, the error still arrives.
  }
}

/**
 * Copies the thrown error's properties as own data properties: assigning them could throw where
 * the class has a getter of that name (a `DOMException`'s `code`).
 */
function defineAll(target: object, props: Record<string, unknown> | undefined): void {
  if (props === undefined) return;
  for (const key of Object.keys(props)) {
    try {
      Object.defineProperty(target, key, {
        value: props[key],
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } catch {
      // As in `define`.
    }
  }
}

/** Rebuilds the error as it was thrown: an instance of its own class where that class is known. */
function rebuildOriginal(s: SerializedError, findClass: FindClass): unknown {
  if (!s.isError) return s.value;
  const cls = findClass(s.className);
  const error = Object.create((cls ?? Error).prototype) as Error;
  defineAll(error, s.props);
  define(error, 'name', s.name);
  define(error, 'message', s.message);
  define(error, 'stack', s.stack);
  if (s.cause) define(error, 'cause', rebuildOriginal(s.cause, findClass));
  return error;
}

/**
 * The error a caller sees when a method threw: a `RemoteError` carrying the remote stack, the
 * original name, message and properties, with `cause` set to the original error; an instance of
 * the thrown error's own class too, where `findClass` knows it.
 */
export function reviveRemoteError(
  s: SerializedError,
  actor: string,
  method: string,
  findClass: FindClass,
): RemoteError {
  try {
    return revive(s, actor, method, findClass);
  } catch {
    // Rebuilding never fails the caller: a class lookup or a prototype that threw gives a plain one.
    return revive(s, actor, method, () => undefined);
  }
}

function revive(
  s: SerializedError,
  actor: string,
  method: string,
  findClass: FindClass,
): RemoteError {
  const cls = s.isError ? findClass(s.className) : undefined;
  const error = Object.create((cls ?? RemoteError).prototype) as RemoteError;
  if (cls) brandRemote(error);
  defineAll(error, s.props);
  const message = s.isError
    ? s.message
    : `Actor ${actor}, method '${method}', threw a non-Error value: ${s.message}`;
  define(error, 'name', s.name);
  define(error, 'message', message);
  const where = `    at actor ${actor}, method '${method}'`;
  const remoteFrames = typeof s.stack === 'string' ? s.stack.split('\n').slice(1).join('\n') : '';
  define(
    error,
    'stack',
    `${s.name}: ${message}\n${where}${remoteFrames ? `\n${remoteFrames}` : ''}`,
  );
  define(error, 'cause', rebuildOriginal(s, findClass));
  defineAll(
    error,
    s.isError
      ? { actor, method, remoteStack: s.stack }
      : { actor, method, remoteStack: s.stack, thrown: s.value },
  );
  return error;
}
