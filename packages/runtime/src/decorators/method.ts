import { checkNumeric, type MethodOptions, RETRIES_RANGE, TIMEOUT_RANGE } from '../options.js';

// TypeScript's TC39 decorator emit reads Symbol.metadata, which Node 20 lacks.
(Symbol as { metadata?: symbol }).metadata ??= Symbol.for('Symbol.metadata');

export const METHOD_OPTIONS = Symbol('troupe.methodOptions');

const legacy = new WeakMap<object, Map<string, MethodOptions>>();

export function legacyMethodOptions(prototype: object): Map<string, MethodOptions> {
  const merged = new Map<string, MethodOptions>();
  const chain: object[] = [];
  for (
    let p: object | null = prototype;
    p && p !== Object.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    chain.unshift(p);
  }
  for (const p of chain) for (const [k, v] of legacy.get(p) ?? []) merged.set(k, v);
  return merged;
}

/**
 * Per-method options. Every public method of an actor is callable without it; use it to mark
 * a method (`async: true` for a Promise-returning method that is not `async`, `threadSafe`).
 * Works as a TC39 standard decorator and under `experimentalDecorators`.
 */
export function method(options: MethodOptions = {}) {
  return (
    target: object,
    context: ClassMethodDecoratorContext | string | symbol,
    descriptor?: PropertyDescriptor,
  ): void => {
    const name = String(typeof context === 'object' ? context.name : context);
    checkNumeric(`@method on ${name}`, 'timeoutMs', options.timeoutMs, TIMEOUT_RANGE);
    checkNumeric(`@method on ${name}`, 'maxTaskRetries', options.maxTaskRetries, RETRIES_RANGE);
    if (typeof context === 'object') {
      const metadata = context.metadata as Record<symbol, unknown> | undefined;
      if (!metadata) return;
      const own = Object.hasOwn(metadata, METHOD_OPTIONS)
        ? (metadata[METHOD_OPTIONS] as Map<string, MethodOptions>)
        : new Map(metadata[METHOD_OPTIONS] as Map<string, MethodOptions> | undefined);
      metadata[METHOD_OPTIONS] = own;
      own.set(String(context.name), options);
      return;
    }
    void descriptor;
    const own = legacy.get(target) ?? new Map<string, MethodOptions>();
    legacy.set(target, own);
    own.set(String(context), options);
  };
}

/**
 * Marks a field of a threaded actor as deliberately per-thread (a cache, say): each replica keeps
 * its own copy, and the transformer's thread-safety check (TROUPE101) accepts writes to it.
 */
export function perThread() {
  return (_target: unknown, _context: unknown): void => {};
}
