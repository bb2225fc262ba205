/**
 * The contract between Troupe's transformer and its runtime: the kind rule, the compiled actor
 * info and its version, and the method names handles reserve. Both packages import it, so a rule
 * changed here changes for both; it has no dependencies so that every later plugin can use it too.
 * Shipped as CommonJS: the transformer (loaded by ts-patch) requires it, and the runtime (ESM)
 * imports its named exports.
 */

/** How an actor runs its calls: one at a time, interleaved on one event loop, or on N threads. */
export type ActorKind = 'serial' | 'async' | 'threaded';

export const ACTOR_KINDS: readonly ActorKind[] = ['serial', 'async', 'threaded'];

/**
 * The version of {@link CompiledActorInfo}. Bump it when the shape or the meaning of the info
 * changes, so that a runtime refuses info from a transformer it does not understand instead of
 * misreading it.
 */
export const COMPILED_INFO_VERSION = 1;

/**
 * What the transformer injects as `@actor`'s second argument, so that the runtime guesses nothing.
 * Not written by hand.
 */
export interface CompiledActorInfo {
  /** {@link COMPILED_INFO_VERSION} of the transformer that wrote it. */
  version: number;
  /** URL of the compiled module that declares the class. */
  module: string;
  /** The name the worker module exports the class under. */
  exportName: string;
  kind: ActorKind;
  /** Every public method: `[name, isAsync]`. */
  methods: [string, boolean][];
  /** URL (absolute, or relative to `module`) of a worker bundle to import instead of `module`. */
  bundle?: string;
}

/** Method names an actor may not have: handles are not thenable (`then`), and `ready` waits. */
export const RESERVED_METHODS: readonly string[] = ['then', 'ready'];

/** What the kind of an actor class is decided from. */
export interface KindFacts {
  /** `@actor({ kind })`, when given: it wins. */
  declared?: ActorKind;
  /** Some public method is async (the `async` keyword, or a Promise return). */
  hasAsyncMethod: boolean;
  /**
   * `@actor({ maxConcurrency })`; `'unknown'` when the build cannot read it (not a compile-time
   * constant), which counts as more than one.
   */
  maxConcurrency?: number | 'unknown';
  /** `@actor({ concurrencyGroups })` declares at least one group. */
  hasConcurrencyGroups: boolean;
}

/**
 * Ray's rule: any async method makes an async actor; otherwise more than one concurrent call (or
 * concurrency groups) makes a threaded actor; otherwise it is serial.
 */
export function decideKind(facts: KindFacts): ActorKind {
  if (facts.declared) return facts.declared;
  if (facts.hasAsyncMethod) return 'async';
  const max = facts.maxConcurrency;
  if (facts.hasConcurrencyGroups || max === 'unknown' || (max ?? 1) > 1) return 'threaded';
  return 'serial';
}

/**
 * Why a runtime cannot use compiled info, or undefined when it can. Info without a version comes
 * from a transformer older than the versioned contract.
 */
export function compiledInfoProblem(info: { version?: unknown }): string | undefined {
  if (info.version === COMPILED_INFO_VERSION) return undefined;
  const theirs = info.version === undefined ? 'none (an older transformer)' : String(info.version);
  return (
    `it was compiled by a transformer writing compiled-info version ${theirs}, and this ` +
    `@troupe/runtime reads version ${COMPILED_INFO_VERSION}. Install @troupe/transformer and ` +
    '@troupe/runtime at matching versions and rebuild (tspc, or tsc && troupe build).'
  );
}
