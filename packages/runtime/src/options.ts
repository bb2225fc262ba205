import type { ResourceLimits } from 'node:worker_threads';
import type { ActorKind, CompiledActorInfo } from '@troupe/contract';
import type { RetryPolicy } from './wire/protocol.js';

// The transformer writes the same shapes: one definition, in the contract both packages import.
export type { ActorKind, CompiledActorInfo, RetryPolicy };

/** Any class decorated with `@actor`. */
// biome-ignore lint/suspicious/noExplicitAny: constructor parameters are checked by SpawnOptions.
export type ActorClass<T = object> = new (...args: any[]) => T;

/** Options of `@actor(options)`: the class's own limits. `spawn` options may change them. */
export interface ActorOptions {
  /**
   * How many calls may run at once. On an async actor: calls interleaved on its event loop. On an
   * actor without async methods, a value above 1 makes it threaded, with this many threads.
   *
   * @default 1 for serial actors, 1000 for async actors (threaded actors must give it)
   */
  maxConcurrency?: number;
  /**
   * The kind, where it cannot be read from the class: the transformer decides it from the type
   * checker; without it, a method is async only if it is a native `async` function, so code
   * compiled below ES2017 (or methods returning promises without `async`) must say `kind: 'async'`.
   */
  kind?: ActorKind;
  /**
   * URL of the module that exports the class, for the worker to import. Found from the
   * decorator's call site when omitted; give `import.meta.url` where that fails.
   *
   * @example @actor({ module: import.meta.url })
   */
  module?: string;
  /** Base name of the class's actors in logs and errors (`Name#1`). @default the class name */
  name?: string;
  /**
   * Named groups of methods, each with its own limit, so that a saturated group never delays
   * another's calls. Methods join one with `@method({ concurrencyGroup })`; the others form the
   * default group, limited by `maxConcurrency`. On an async actor each group is a limit on the
   * one event loop; an actor with groups and no async method is threaded, each group with its
   * own threads.
   *
   * @example @actor({ concurrencyGroups: { io: 2, compute: 4 } })
   */
  concurrencyGroups?: Record<string, number>;
  /**
   * Calls that may be pending (sent, not settled) on one actor from this thread, across its
   * handles here. The call past it is refused at once with `PendingCallsLimitError`.
   *
   * @default Infinity
   */
  maxPendingCalls?: number;
  /**
   * Heap limits of each of the actor's threads (Node's `Worker` `resourceLimits`). An actor that
   * runs out of heap dies alone, its calls rejecting with `ActorDiedError` saying so. Memory held
   * by ArrayBuffers lies outside what V8 limits.
   *
   * @example @actor({ resourceLimits: { maxOldGenerationSizeMb: 256 } })
   */
  resourceLimits?: ResourceLimits;
  /**
   * How often a crashed actor is rebuilt with its constructor arguments (-1: without end). Calls
   * that had not started at the crash wait for the new instance; the call that was running
   * rejects with `ActorDiedError` unless `maxTaskRetries` resends it. In a threaded actor only
   * the crashed thread is replaced, counting one restart. A constructor that throws ends the
   * actor, without restart.
   *
   * @default 0
   */
  maxRestarts?: number;
  /**
   * How often a call that was running when its actor crashed (or that threw an error
   * `retryExceptions` names: one budget for both) is sent again, to the restarted actor; -1
   * without end. A call that had not started needs none: it waits for the restarted actor. A
   * retried method may run more than once (at-least-once): make it idempotent. Method and
   * per-call options override it.
   *
   * @default 0
   */
  maxTaskRetries?: number;
  /**
   * Also retry (within `maxTaskRetries`, the same budget as crashes) a call whose method threw:
   * `true` for any error, or the errors to retry on, as classes or class names. A class or a name
   * matches an error of that class or of any subclass (any class in the thrown error's prototype
   * chain), and a name also matches the error's own `name`. A streaming method is retried only
   * until it has yielded its first item.
   *
   * @default false
   * @example @actor({ maxTaskRetries: 3, retryExceptions: [NetworkError, 'TimeoutError'] })
   */
  retryExceptions?: boolean | readonly RetryException[];
}

/** An error class (or its name) that `retryExceptions` retries on. */
export type RetryException = string | (abstract new (...args: never[]) => Error);

/** Options of `@method(options)`. */
export interface MethodOptions {
  /** Mark a method that returns a promise without being `async`, when building without the transformer. */
  async?: boolean;
  /** Tell the transformer's thread-safety check (TROUPE101) that this method is safe. */
  threadSafe?: boolean;
  /** The concurrency group the method's calls run in (declared in `@actor`'s `concurrencyGroups`). */
  concurrencyGroup?: string;
  /** Rejects a call with `TimeoutError` this long after it was made; see `CallOptions.timeoutMs`. */
  timeoutMs?: number;
  /** Overrides the actor's `maxTaskRetries` for this method. */
  maxTaskRetries?: number;
  /** Overrides the actor's `retryExceptions` for this method. */
  retryExceptions?: boolean | readonly RetryException[];
}

/**
 * Options for one call: `handle.method.options({ … })(...args)`.
 *
 * @example
 * const controller = new AbortController();
 * await handle.fetch.options({ signal: controller.signal, timeoutMs: 500 })(url);
 */
export interface CallOptions {
  /** Run this call in another concurrency group than its method's. */
  concurrencyGroup?: string;
  /** Cancels the call when aborted, as `cancel(promise)` does. */
  signal?: AbortSignal;
  /**
   * Rejects with `TimeoutError` this long after the call was made. A queued call is removed; a
   * running async call is aborted (see `callSignal()`); a running sync call cannot be
   * interrupted: it runs on to its end and its result is discarded.
   */
  timeoutMs?: number;
  /** Overrides the method's `maxTaskRetries` for this call. */
  maxTaskRetries?: number;
  /** Overrides the method's `retryExceptions` for this call. */
  retryExceptions?: boolean | readonly RetryException[];
}

/**
 * `spawn`'s arguments after the class: the options may be left out only when the constructor
 * needs no argument; otherwise they are required, with `args`.
 */
export type SpawnArguments<C extends ActorClass> =
  [] extends ConstructorParameters<C>
    ? [options?: SpawnOptions<C>]
    : [options: SpawnOptions<C> & { args: ConstructorParameters<C> }];

/** Options of `spawn(Class, options)`. */
export type SpawnOptions<C extends ActorClass> = {
  /** The constructor's arguments. Shared primitives in them are shared, not copied. */
  args?: ConstructorParameters<C>;
  /**
   * Overrides the class's limit within its kind: an async actor's concurrent calls, a threaded
   * actor's thread count. A serial class cannot be given more than 1: declare it on the class.
   */
  maxConcurrency?: number;
  /**
   * Registers the actor under this name (in `namespace`), for `getActor` anywhere in the process;
   * also its name in logs and errors. A name in use is refused, unless `getIfExists`. The name is
   * freed when the actor ends. @default unnamed, shown as `ClassName#n`
   */
  name?: string;
  /** The namespace of `name`. @default 'default' */
  namespace?: string;
  /**
   * With `name`: if a live actor already has it, return that actor's handle (the new arguments
   * are ignored) instead of refusing.
   */
  getIfExists?: boolean;
  /** Overrides the class's `maxPendingCalls`. */
  maxPendingCalls?: number;
  /** Overrides the class's `resourceLimits`. */
  resourceLimits?: ResourceLimits;
  /** Overrides the class's `maxRestarts`. */
  maxRestarts?: number;
  /** Overrides the class's `maxTaskRetries` (methods that set their own keep it). */
  maxTaskRetries?: number;
  /**
   * Where the actor is hosted once this process has joined a cluster (`connect()` from
   * `@troupe/cluster`): `'any'` live node that has the class (the least loaded of two picked at
   * random), `'local'` (worker threads of this process, as without a cluster), a node by id, or
   * a node whose labels match. Without a cluster every actor is local, and only `'any'` and
   * `'local'` are accepted. @default 'any'
   */
  placement?: Placement;
  /**
   * `'detached'` (Ray's option): in a cluster, the actor outlives the process that spawned it —
   * it is not ended when that process exits or disconnects, and when its node dies any live node
   * restarts it (within `maxRestarts`), not only its owner. It is ended by `kill` (or by
   * running out of restarts). Without a cluster every actor lives as long as this process, and
   * the option changes nothing. @default owned by the process that spawned it
   */
  lifetime?: 'detached';
};

/** Where a spawned actor is hosted in a cluster (`SpawnOptions.placement`). */
export type Placement =
  | 'any'
  | 'local'
  | { readonly node: string }
  | { readonly labels: Readonly<Record<string, string>> };

/** The largest delay a Node timer keeps (ms): longer ones fire after 1 ms. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** The most threads one threaded actor may have. */
export const MAX_THREADS = 1024;

/** What a numeric option accepts. */
export interface NumericRange {
  min: number;
  max: number;
  /** Whole numbers only. */
  whole?: boolean;
  /** What `Infinity` means, where it is accepted (`no limit`, `without end`). */
  infinity?: string;
  /** What `-1` means, where it is accepted. */
  minusOne?: string;
}

export const TIMEOUT_RANGE: NumericRange = { min: 0, max: MAX_TIMEOUT_MS, infinity: 'no limit' };
export const RETRIES_RANGE: NumericRange = {
  min: 0,
  max: Number.MAX_SAFE_INTEGER,
  whole: true,
  infinity: 'without end',
  minusOne: 'without end',
};
export const PENDING_RANGE: NumericRange = {
  min: 1,
  max: Number.MAX_SAFE_INTEGER,
  whole: true,
  infinity: 'no limit',
};

function describeRange(range: NumericRange): string {
  const kind = range.whole ? 'a whole number' : 'a number';
  const top = range.max === Number.MAX_SAFE_INTEGER ? '' : ` to ${range.max}`;
  const span = top ? ` from ${range.min}${top}` : ` >= ${range.min}`;
  const extra = [
    range.minusOne ? `-1 (${range.minusOne})` : '',
    range.infinity ? `Infinity (${range.infinity})` : '',
  ].filter(Boolean);
  return `${kind}${span}${extra.length ? `, or ${extra.join(' or ')}` : ''}`;
}

/**
 * Checks a numeric option at once, before anything starts: a value out of `range` throws a
 * `TypeError` naming the option, where it was given, and what it accepts. Returns the value
 * (`Infinity` for -1 where -1 means without end), or undefined where it was left out.
 */
export function checkNumeric(
  where: string,
  name: string,
  value: unknown,
  range: NumericRange,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') {
    if (value === Number.POSITIVE_INFINITY && range.infinity) return value;
    if (value === -1 && range.minusOne) return Number.POSITIVE_INFINITY;
    if (
      value >= range.min &&
      value <= range.max &&
      (!range.whole || Number.isInteger(value)) &&
      !Number.isNaN(value)
    ) {
      return value;
    }
  }
  const shown =
    typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value));
  throw new TypeError(`${where}: ${name} must be ${describeRange(range)}, not ${shown}.`);
}

/** A checked timeout as a timer takes it: undefined for none (left out, or Infinity). */
export function timeoutOf(where: string, value: unknown): number | undefined {
  const ms = checkNumeric(where, 'timeoutMs', value, TIMEOUT_RANGE);
  return ms === Number.POSITIVE_INFINITY ? undefined : ms;
}
