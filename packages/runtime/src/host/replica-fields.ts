import {
  isSharedDescriptor,
  isSharedTypedArray,
  reviveShared,
  SharedPrimitive,
} from '../shared/primitive.js';
import type { SharedFields } from '../wire/protocol.js';

/**
 * A threaded actor's replicas share the primitives replica 0 creates in its constructor or
 * field initialisers, unified by field name: replica 0 reports them, the others adopt them.
 */

/** Shared primitives replica 0 holds in its fields, to be shared by the other replicas. */
export function sharedFieldsOf(instance: object): SharedFields | undefined {
  const fields: SharedFields = {};
  let found = false;
  for (const [key, value] of Object.entries(instance)) {
    if (value instanceof SharedPrimitive) fields[key] = value.describe();
    else if (isSharedTypedArray(value)) fields[key] = value;
    else continue;
    found = true;
  }
  return found ? fields : undefined;
}

export function adoptSharedFields(instance: object, fields: SharedFields): void {
  const target = instance as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    target[key] = isSharedDescriptor(value) ? reviveShared(value) : value;
  }
}
