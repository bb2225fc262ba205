import { fileURLToPath } from 'node:url';
import * as troupeErrors from '../errors.js';
import { loadBundled } from '../wire/bundled.js';

type ErrorClass = new (...args: never[]) => Error;

const registered = new Map<string, ErrorClass>();
// Troupe's own errors keep their class when they travel on (a pool answering a remote handle).
for (const value of Object.values(troupeErrors)) {
  if (typeof value === 'function' && value.prototype instanceof Error) {
    registered.set(value.name, value as ErrorClass);
  }
}
const byModule = new Map<string, Map<string, ErrorClass>>();

/**
 * Makes errors of these classes, thrown inside actors, arrive as instances of the same classes.
 * Error classes exported by an actor's own module are found without registering.
 */
export function registerErrorClass(...classes: ErrorClass[]): void {
  for (const c of classes) registered.set(c.name, c);
}

/**
 * Starts reading the error classes an actor's module exports. The module is already loaded in
 * this thread (the caller imported the class from it), so this is quick; until it resolves,
 * errors arrive as plain `RemoteError`s.
 */
export function loadErrorClasses(moduleUrl: string): void {
  if (byModule.has(moduleUrl)) return;
  const table = new Map<string, ErrorClass>();
  byModule.set(moduleUrl, table);
  // A path, not a URL: module loaders such as Jest's resolve paths but not file: URLs.
  const specifier = moduleUrl.startsWith('file:') ? fileURLToPath(moduleUrl) : moduleUrl;
  (loadBundled(moduleUrl) ?? import(specifier)).then(
    (ns: Record<string, unknown>) => {
      for (const value of Object.values(ns)) {
        if (typeof value === 'function' && value.prototype instanceof Error) {
          table.set(value.name, value as ErrorClass);
        }
      }
    },
    () => {},
  );
}

/** The class an error named `className` thrown by an actor from `moduleUrl` should have here. */
export function findErrorClass(className: string | undefined, moduleUrl: string | undefined) {
  if (!className) return undefined;
  const found = (moduleUrl && byModule.get(moduleUrl)?.get(className)) || registered.get(className);
  if (found) return found;
  const builtin = (globalThis as Record<string, unknown>)[className];
  if (typeof builtin === 'function' && (builtin === Error || builtin.prototype instanceof Error)) {
    return builtin as ErrorClass;
  }
  return undefined;
}
