import {
  type ActorKind,
  type CompiledActorInfo,
  compiledInfoProblem,
  decideKind as kindRule,
  RESERVED_METHODS,
} from '@troupe/contract';
import { ActorDefinitionError } from '../errors.js';
import {
  type ActorOptions,
  checkNumeric,
  MAX_THREADS,
  type MethodOptions,
  type NumericRange,
  PENDING_RANGE,
  RETRIES_RANGE,
} from '../options.js';

/** Everything the runtime knows of an actor class, fixed when the class is decorated. */
export interface ActorDefinition {
  className: string;
  /** URL the worker imports (a transformer bundle, or the class's own module). */
  workerModule: string | undefined;
  /** URL of the class's own module, where its error classes are exported. */
  module: string | undefined;
  exportName: string;
  kind: ActorKind;
  /** Method names; ids are indexes. */
  methods: string[];
  /** Concurrency group names; a group's id is its index, and 0 is the default group. */
  groups: string[];
  /** Group id of each method. */
  methodGroups: number[];
  /** Per-method `timeoutMs`, where given. */
  methodTimeouts: (number | undefined)[];
  /** Per-method retry options, where given (the actor's apply to the others). */
  methodRetries: Pick<MethodOptions, 'maxTaskRetries' | 'retryExceptions'>[];
  /** Ids of methods that are generators, sync or async: their calls stream. */
  streamMethods: number[];
  options: ActorOptions;
  compiled: boolean;
}

const definitions = new WeakMap<Function, ActorDefinition>();

export function definitionOf(cls: unknown): ActorDefinition | undefined {
  return typeof cls === 'function' ? definitions.get(cls) : undefined;
}

export const DEFAULT_GROUP = 'default';

interface MethodFacts {
  names: string[];
  async: Set<string>;
  generators: Set<string>;
}

/** Public methods of a class and of its ancestors, with what can be read of their async-ness. */
function readMethods(cls: Function, methodOptions: Map<string, MethodOptions>): MethodFacts {
  const names: string[] = [];
  const async = new Set<string>();
  const generators = new Set<string>();
  const reflect = Reflect as unknown as {
    getMetadata?: (k: string, t: object, p: string) => unknown;
  };
  for (
    let proto = cls.prototype;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || names.includes(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (!descriptor || typeof descriptor.value !== 'function') continue;
      names.push(name);
      const tag = descriptor.value[Symbol.toStringTag];
      // Generator methods stream, sync ones as async ones (native generators: ES2015 and later
      // for sync ones, ES2018 for async ones; a down-levelled generator is a plain function).
      if (tag === 'AsyncGeneratorFunction' || tag === 'GeneratorFunction') generators.add(name);
      if (
        tag === 'AsyncFunction' ||
        tag === 'AsyncGeneratorFunction' ||
        methodOptions.get(name)?.async === true ||
        reflect.getMetadata?.('design:returntype', proto, name) === Promise
      ) {
        async.add(name);
      }
    }
  }
  return { names: names.sort(), async, generators };
}

/** A concurrency limit: calls at once on an event loop (Infinity: no limit), or threads. */
const LIMIT_RANGE: NumericRange = {
  min: 1,
  max: Number.MAX_SAFE_INTEGER,
  whole: true,
  infinity: 'no limit',
};

function checkLimit(className: string, what: string, value: number | undefined): void {
  checkNumeric(`@actor on ${className}`, what, value, LIMIT_RANGE);
}

/** A threaded actor's limits are threads: at most `MAX_THREADS` of them, all groups together. */
export function checkThreads(where: string, limits: Record<string, number | undefined>): void {
  let total = 0;
  for (const [what, value] of Object.entries(limits)) {
    if (value === undefined) continue;
    checkNumeric(where, what, value, { min: 1, max: MAX_THREADS, whole: true });
    total += value;
  }
  if (total > MAX_THREADS) {
    throw new TypeError(
      `${where}: a threaded actor runs one thread per unit of maxConcurrency and of each ` +
        `concurrency group, at most ${MAX_THREADS} in all; these ask for ${total}.`,
    );
  }
}

function decideKind(className: string, options: ActorOptions, facts: MethodFacts): ActorKind {
  const max = options.maxConcurrency;
  const grouped = Object.keys(options.concurrencyGroups ?? {}).length > 0;
  const kind = kindRule({
    declared: options.kind,
    hasAsyncMethod: facts.async.size > 0,
    maxConcurrency: max,
    hasConcurrencyGroups: grouped,
  });
  if (kind === 'serial' && ((max ?? 1) > 1 || grouped)) {
    throw new ActorDefinitionError(
      `@actor on ${className}: a serial actor runs one call at a time, so ` +
        `${grouped ? 'concurrency groups' : `maxConcurrency ${max}`} cannot apply. Drop ` +
        "kind: 'serial' to make it threaded, or give it an async method.",
    );
  }
  if (kind === 'threaded' && max === undefined && !grouped) {
    throw new ActorDefinitionError(
      `@actor on ${className}: a threaded actor needs maxConcurrency (its number of threads), ` +
        "e.g. @actor({ kind: 'threaded', maxConcurrency: 4 }).",
    );
  }
  return kind;
}

/** Group names (default first), and each method's group id, checked against the declaration. */
function readGroups(
  className: string,
  options: ActorOptions,
  names: string[],
  methodOptions: Map<string, MethodOptions>,
): { groups: string[]; methodGroups: number[] } {
  const declared = options.concurrencyGroups ?? {};
  for (const [group, limit] of Object.entries(declared)) {
    checkLimit(className, `concurrency group '${group}'`, limit);
    if (group === DEFAULT_GROUP) {
      throw new ActorDefinitionError(
        `@actor on ${className}: '${DEFAULT_GROUP}' names the group of methods without one; ` +
          'its limit is maxConcurrency. Give the group another name.',
      );
    }
  }
  const groups = [DEFAULT_GROUP, ...Object.keys(declared).sort()];
  const methodGroups = names.map((name) => {
    const group = methodOptions.get(name)?.concurrencyGroup;
    if (group === undefined) return 0;
    const id = groups.indexOf(group);
    if (id <= 0) {
      throw new ActorDefinitionError(
        `@method on ${className}.${name}: concurrency group '${group}' is not declared. ` +
          `Declare it: @actor({ concurrencyGroups: { ${group}: 1 } })` +
          `${groups.length > 1 ? `, or use one of: ${groups.slice(1).join(', ')}` : ''}.`,
      );
    }
    return id;
  });
  return { groups, methodGroups };
}

export function defineActor(
  cls: Function,
  options: ActorOptions,
  methodOptions: Map<string, MethodOptions>,
  callSiteModule: string | undefined,
  compiled: CompiledActorInfo | undefined,
): void {
  const className = cls.name;
  const problem = compiled && compiledInfoProblem(compiled);
  if (problem) {
    throw new ActorDefinitionError(`@actor on ${className || 'an anonymous class'}: ${problem}`);
  }
  if (!className) {
    throw new ActorDefinitionError(
      '@actor on an anonymous class: a worker finds the class by its exported name. ' +
        'Give the class a name and export it.',
    );
  }
  const where = `@actor on ${className}`;
  checkLimit(className, 'maxConcurrency', options.maxConcurrency);
  checkNumeric(where, 'maxPendingCalls', options.maxPendingCalls, PENDING_RANGE);
  checkNumeric(where, 'maxRestarts', options.maxRestarts, RETRIES_RANGE);
  checkNumeric(where, 'maxTaskRetries', options.maxTaskRetries, RETRIES_RANGE);
  const read = readMethods(cls, methodOptions);
  const facts = compiled
    ? {
        names: compiled.methods.map(([name]) => name).sort(),
        async: new Set(compiled.methods.filter(([, isAsync]) => isAsync).map(([name]) => name)),
        generators: read.generators,
      }
    : read;
  for (const name of facts.names) {
    if (RESERVED_METHODS.includes(name)) {
      throw new ActorDefinitionError(
        `@actor on ${className}: a method named '${name}' cannot be called through a handle, ` +
          `which reserves 'then' (handles are not thenable) and 'ready'. Rename the method.`,
      );
    }
  }
  const { groups, methodGroups } = readGroups(className, options, facts.names, methodOptions);
  const kind = compiled?.kind ?? decideKind(className, options, facts);
  if (kind === 'threaded') {
    checkThreads(where, {
      maxConcurrency: options.maxConcurrency,
      ...Object.fromEntries(
        Object.entries(options.concurrencyGroups ?? {}).map(([g, n]) => [
          `concurrency group '${g}'`,
          n,
        ]),
      ),
    });
  }
  const module = compiled?.module ?? options.module ?? callSiteModule;
  definitions.set(cls, {
    className,
    module,
    workerModule: compiled?.bundle ? new URL(compiled.bundle, compiled.module).href : module,
    exportName: compiled?.exportName ?? className,
    kind,
    methods: facts.names,
    groups,
    methodGroups,
    methodTimeouts: facts.names.map((name) => methodOptions.get(name)?.timeoutMs),
    methodRetries: facts.names.map((name) => {
      const { maxTaskRetries, retryExceptions } = methodOptions.get(name) ?? {};
      return { maxTaskRetries, retryExceptions };
    }),
    streamMethods: facts.names.flatMap((name, id) => (facts.generators.has(name) ? [id] : [])),
    options,
    compiled: compiled !== undefined,
  });
}
