import { ActorDefinitionError } from '../errors.js';
import type { ActorOptions, CompiledActorInfo, MethodOptions } from '../options.js';
import type { ActorKind } from '../wire/messages.js';

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
  options: ActorOptions;
  compiled: boolean;
}

const definitions = new WeakMap<Function, ActorDefinition>();

export function definitionOf(cls: unknown): ActorDefinition | undefined {
  return typeof cls === 'function' ? definitions.get(cls) : undefined;
}

const RESERVED = new Set(['then', 'ready']);

interface MethodFacts {
  names: string[];
  async: Set<string>;
}

/** Public methods of a class and of its ancestors, with what can be read of their async-ness. */
function readMethods(cls: Function, methodOptions: Map<string, MethodOptions>): MethodFacts {
  const names: string[] = [];
  const async = new Set<string>();
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
  return { names: names.sort(), async };
}

function decideKind(className: string, options: ActorOptions, facts: MethodFacts): ActorKind {
  const max = options.maxConcurrency;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
    throw new ActorDefinitionError(
      `@actor on ${className}: maxConcurrency must be a whole number >= 1, not ${max}.`,
    );
  }
  const kind =
    options.kind ?? (facts.async.size > 0 ? 'async' : (max ?? 1) > 1 ? 'threaded' : 'serial');
  if (kind === 'serial' && (max ?? 1) > 1) {
    throw new ActorDefinitionError(
      `@actor on ${className}: a serial actor runs one call at a time, so maxConcurrency ${max} ` +
        "cannot apply. Drop kind: 'serial' to make it threaded, or give it an async method.",
    );
  }
  if (kind === 'threaded' && max === undefined) {
    throw new ActorDefinitionError(
      `@actor on ${className}: a threaded actor needs maxConcurrency (its number of threads), ` +
        "e.g. @actor({ kind: 'threaded', maxConcurrency: 4 }).",
    );
  }
  return kind;
}

export function defineActor(
  cls: Function,
  options: ActorOptions,
  methodOptions: Map<string, MethodOptions>,
  callSiteModule: string | undefined,
  compiled: CompiledActorInfo | undefined,
): void {
  const className = cls.name;
  if (!className) {
    throw new ActorDefinitionError(
      '@actor on an anonymous class: a worker finds the class by its exported name. ' +
        'Give the class a name and export it.',
    );
  }
  const facts = compiled
    ? {
        names: compiled.methods.map(([name]) => name).sort(),
        async: new Set(compiled.methods.filter(([, isAsync]) => isAsync).map(([name]) => name)),
      }
    : readMethods(cls, methodOptions);
  for (const name of facts.names) {
    if (RESERVED.has(name)) {
      throw new ActorDefinitionError(
        `@actor on ${className}: a method named '${name}' cannot be called through a handle, ` +
          `which reserves 'then' (handles are not thenable) and 'ready'. Rename the method.`,
      );
    }
  }
  const module = compiled?.module ?? options.module ?? callSiteModule;
  definitions.set(cls, {
    className,
    module,
    workerModule: compiled?.bundle ? new URL(compiled.bundle, compiled.module).href : module,
    exportName: compiled?.exportName ?? className,
    kind: compiled?.kind ?? decideKind(className, options, facts),
    methods: facts.names,
    options,
    compiled: compiled !== undefined,
  });
}
