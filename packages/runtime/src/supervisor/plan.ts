import { isMainThread, threadId } from 'node:worker_threads';
import type { ActorDefinition } from '../decorators/definition.js';
import { ActorDefinitionError, SerializationError } from '../errors.js';
import type { SpawnOptions } from '../options.js';
import type { ActorClass } from '../types.js';
import { closePorts, encodeDeep, findUncloneable, isDataCloneError } from '../wire/codec.js';
import { type ActorInfo, STAT_SLOTS, type Transferable } from '../wire/protocol.js';
import { type ActorHost, currentLauncher } from './host-worker.js';
import { registryPortForWorker } from './names.js';

let sequence = 0;

/** One host about to start, as what prepares its memory and setup sees it. */
export interface PlannedHost {
  readonly info: ActorInfo;
  readonly className: string;
  /** The name the user gave (spawn or `@actor` option), else the class name: a bounded label. */
  readonly label: string;
  /** Its index among a threaded actor's threads (0 otherwise). */
  readonly replica: number;
}

/** What each host gets from this thread's configuration: its stats memory and worker setup. */
export interface HostPreparation {
  stats: Int32Array;
  workerSetup?: string | undefined;
}

let prepareHost = (_host: PlannedHost): HostPreparation => ({
  stats: new Int32Array(new SharedArrayBuffer(STAT_SLOTS * 4)),
});

/**
 * Where hosts get their stats memory and worker setup from now on: observe/ adds room for
 * metrics and the timeline, and `configure({ workerSetup })` (installed by the composition roots).
 */
export function setHostPreparation(prepare: (host: PlannedHost) => HostPreparation): void {
  prepareHost = prepare;
}

const DEFAULT_MAX_CONCURRENCY = { serial: 1, async: 1000, threaded: 1 } as const;

/** One actor about to be started: its identity, limits and what each of its workers needs. */
export interface SpawnPlan {
  info: ActorInfo;
  /** The limit of each concurrency group by id; 0 is the default group (`maxConcurrency`). */
  groupLimits: number[];
  /** Group id of each method. */
  methodGroups: number[];
  /** Restarts allowed after crashes (Infinity for -1). */
  maxRestarts: number;
  /** Starts the host of replica `replica` (constructor arguments are encoded anew for each). */
  startHost(replica: number, awaitUnify: boolean): ActorHost;
}

function limitFor(def: ActorDefinition, requested: number | undefined): number {
  const max = requested ?? def.options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY[def.kind];
  if (!(Number.isInteger(max) && max >= 1)) {
    throw new ActorDefinitionError(
      `spawn(${def.className}): maxConcurrency must be a whole number >= 1, not ${max}.`,
    );
  }
  if (def.kind === 'serial' && max > 1) {
    throw new ActorDefinitionError(
      `spawn(${def.className}, { maxConcurrency: ${max} }): ${def.className} is a serial actor ` +
        '(no async method, maxConcurrency 1) and spawn options cannot change the kind, which ' +
        `the build checks. Declare it on the class: @actor({ maxConcurrency: ${max} }) makes it ` +
        'threaded; an async method makes it async.',
    );
  }
  return max;
}

export function planSpawn<C extends ActorClass>(
  def: ActorDefinition,
  options: SpawnOptions<C>,
): SpawnPlan {
  const workerModule = def.workerModule;
  if (!workerModule) {
    throw new ActorDefinitionError(
      `spawn(${def.className}): cannot tell which module declares the class, so its worker ` +
        'cannot load it. Pass it: @actor({ module: import.meta.url }).',
    );
  }
  const maxConcurrency = limitFor(def, options.maxConcurrency);
  const declared = def.options.concurrencyGroups ?? {};
  // Every group but the default one is a key of concurrencyGroups (the definition read them there).
  const groupLimits = def.groups.map((group, id) =>
    id === 0 ? maxConcurrency : (declared[group] as number),
  );
  const maxPendingCalls = options.maxPendingCalls ?? def.options.maxPendingCalls;
  if (
    maxPendingCalls !== undefined &&
    !(Number.isInteger(maxPendingCalls) && maxPendingCalls >= 1)
  ) {
    throw new ActorDefinitionError(
      `spawn(${def.className}): maxPendingCalls must be a whole number >= 1, not ${maxPendingCalls}.`,
    );
  }
  const seq = ++sequence;
  const base = options.name ?? def.options.name ?? def.className;
  const name = options.name ?? (isMainThread ? `${base}#${seq}` : `${base}#${threadId}.${seq}`);
  const info: ActorInfo = {
    actorId: `${process.pid}.${threadId}.${seq}`,
    name,
    kind: def.kind,
    methods: def.methods,
    moduleUrl: def.module,
    groups: def.groups,
    methodTimeouts: def.methodTimeouts,
    retries: def.methodRetries.map((method) => {
      const maxTaskRetries =
        method.maxTaskRetries ?? options.maxTaskRetries ?? def.options.maxTaskRetries ?? 0;
      const retryExceptions = method.retryExceptions ?? def.options.retryExceptions ?? false;
      return maxTaskRetries === 0 ? undefined : { maxTaskRetries, retryExceptions };
    }),
    streamMethods: def.streamMethods,
    maxPendingCalls,
  };
  // Only an async actor limits groups inside its worker: a serial actor runs one call at a time,
  // and a threaded actor's pool routes each call to a thread of its group.
  const inWorker = def.kind === 'async';
  const args = (options.args ?? []) as unknown[];
  return {
    info,
    groupLimits,
    methodGroups: def.methodGroups,
    maxRestarts: restartsFrom(options.maxRestarts ?? def.options.maxRestarts ?? 0, def.className),
    startHost(replica, awaitUnify) {
      const registryPort = registryPortForWorker();
      const transfers: Transferable[] = [registryPort];
      let encodedArgs: unknown[];
      try {
        encodedArgs = encodeDeep(args, transfers) as unknown[];
      } catch {
        // A getter or Proxy trap that throws, nesting too deep: refused like an uncloneable one.
        closePorts(transfers);
        throw constructorArgumentError(def.className, args);
      }
      const init = {
        registryPort,
        actorId: info.actorId,
        name: def.kind === 'threaded' ? `${name}/${replica}` : name,
        kind: def.kind,
        moduleUrl: workerModule,
        exportName: def.exportName,
        className: def.className,
        methods: def.methods,
        args: encodedArgs,
        groupLimits: inWorker ? groupLimits : [1],
        methodGroups: inWorker ? def.methodGroups : def.methods.map(() => 0),
        streamMethods: def.streamMethods,
        replica,
        awaitUnify,
        ...prepareHost({ info, className: def.className, label: base, replica }),
      };
      try {
        return currentLauncher().launch(
          init,
          transfers,
          options.resourceLimits ?? def.options.resourceLimits,
        );
      } catch (error) {
        if (!isDataCloneError(error) && findUncloneable(args) === undefined) throw error;
        throw constructorArgumentError(def.className, args);
      }
    },
  };
}

function constructorArgumentError(className: string, args: unknown[]): SerializationError {
  // Handles and shared primitives count as sendable in the search.
  const bad = findUncloneable(args);
  const which = bad ? `constructor argument ${bad.index}` : 'a constructor argument';
  return new SerializationError(
    `spawn(${className}): ${which} cannot be sent to the actor's thread` +
      `${bad ? ` (${bad.reason})` : ''}. Pass data that structured clone accepts; handles and ` +
      'shared primitives are fine.',
    className,
    'constructor',
    bad?.index ?? 0,
  );
}

function restartsFrom(maxRestarts: number, className: string): number {
  if (maxRestarts === -1) return Number.POSITIVE_INFINITY;
  if (!(Number.isInteger(maxRestarts) && maxRestarts >= 0)) {
    throw new ActorDefinitionError(
      `spawn(${className}): maxRestarts must be -1 (without end) or a whole number >= 0, not ` +
        `${maxRestarts}.`,
    );
  }
  return maxRestarts;
}
