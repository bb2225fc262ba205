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

/** Turns anything a method threw into something that survives `postMessage`. */
export function serializeError(thrown: unknown, depth = 0): SerializedError {
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
    if (!OWN.has(key) && cloneable(value)) props[key] = value;
  }
  const cause = (thrown as { cause?: unknown }).cause;
  return {
    isError: true,
    name: String(thrown.name),
    message: String(thrown.message),
    stack: typeof thrown.stack === 'string' ? thrown.stack : undefined,
    className: thrown.constructor?.name,
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

type FindClass = (className: string | undefined) => (new (...a: never[]) => Error) | undefined;

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true });
}

/** Rebuilds the error as it was thrown: an instance of its own class where that class is known. */
function rebuildOriginal(s: SerializedError, findClass: FindClass): unknown {
  if (!s.isError) return s.value;
  const cls = findClass(s.className);
  const error = Object.create((cls ?? Error).prototype) as Error;
  Object.assign(error, s.props);
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
  const cls = s.isError ? findClass(s.className) : undefined;
  const error = Object.create((cls ?? RemoteError).prototype) as RemoteError;
  if (cls) brandRemote(error);
  if (s.props) Object.assign(error, s.props);
  const message = s.isError
    ? s.message
    : `Actor ${actor}, method '${method}', threw a non-Error value: ${s.message}`;
  define(error, 'name', s.name);
  define(error, 'message', message);
  const where = `    at actor ${actor}, method '${method}'`;
  const remoteFrames = s.stack?.split('\n').slice(1).join('\n');
  define(
    error,
    'stack',
    `${s.name}: ${message}\n${where}${remoteFrames ? `\n${remoteFrames}` : ''}`,
  );
  define(error, 'cause', rebuildOriginal(s, findClass));
  error.actor = actor;
  error.method = method;
  error.remoteStack = s.stack;
  if (!s.isError) error.thrown = s.value;
  return error;
}
