import { definitionOf } from '../decorators/definition.js';
import { ActorDefinitionError } from '../errors.js';
import type { HostInit } from '../wire/protocol.js';

type Constructor = new (...args: unknown[]) => object;

/** Finds the actor's class among the exports of the module the worker imported. */
export function findActorClass(ns: Record<string, unknown>, init: HostInit): Constructor {
  const named = ns[init.exportName];
  if (typeof named === 'function') return named as Constructor;
  for (const value of Object.values(ns)) {
    if (definitionOf(value)?.className === init.className) return value as Constructor;
  }
  throw new ActorDefinitionError(
    `Actor ${init.name}: module ${init.moduleUrl} does not export the class ${init.className}, ` +
      "so the actor's worker cannot find it. Export the class (export class " +
      `${init.className} …), or build with @troupe/transformer.`,
  );
}
