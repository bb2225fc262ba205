import { isMainThread, threadId } from 'node:worker_threads';
import { retryExceptionNames } from '../caller/call.js';
import { type ActorDefinition, checkThreads } from '../decorators/definition.js';
import { ActorDefinitionError, SerializationError } from '../errors.js';
import {
  checkNumeric,
  MAX_THREADS,
  PENDING_RANGE,
  RETRIES_RANGE,
  type SpawnOptions,
} from '../options.js';
import type { ActorClass } from '../types.js';
import { closePorts, encodeDeep, findUncloneable, isDataCloneError } from '../wire/codec.js';
import {
  type ActorInfo,
  STARTED_GROUPS,
  STAT_SLOTS,
  StatSlot,
  type Transferable,
} from '../wire/protocol.js';
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

let fence: BigInt64Array | undefined;

/**
 * The lease every host started from now on checks before it starts a call (a cluster node's):
 * see `HostInit.fence`. `undefined`: none.
 */
export function useFence(next: BigInt64Array | undefined): void {
  fence = next;
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
  /**
   * The slot of a host's counters that tells whether a call it was sent has started: the
   * `StatSlot.Started` slot of the group the host runs it in, or -1 where none tracks it.
   */
  startedSlot(call: { readonly group: number | undefined; readonly methodId: number }): number;
  /** Starts the host of replica `replica` (constructor arguments are encoded anew for each). */
  startHost(replica: number, awaitUnify: boolean): ActorHost;
}

function limitFor(def: ActorDefinition, requested: number | undefined): number {
  checkNumeric(`spawn(${def.className})`, 'maxConcurrency', requested, {
    min: 1,
    max: def.kind === 'threaded' ? MAX_THREADS : Number.MAX_SAFE_INTEGER,
    whole: true,
    infinity: def.kind === 'threaded' ? undefined : 'no limit',
  });
  const max = requested ?? def.options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY[def.kind];
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
  const where = `spawn(${def.className})`;
  // Every numeric option is checked before anything starts.
  const maxConcurrency = limitFor(def, options.maxConcurrency);
  const declared = def.options.concurrencyGroups ?? {};
  // Every group but the default one is a key of concurrencyGroups (the definition read them there).
  const groupLimits = def.groups.map((group, id) =>
    id === 0 ? maxConcurrency : (declared[group] as number),
  );
  if (def.kind === 'threaded') {
    checkThreads(
      where,
      Object.fromEntries(
        groupLimits.map((n, id) => [id === 0 ? 'maxConcurrency' : `group '${def.groups[id]}'`, n]),
      ),
    );
  }
  checkNumeric(where, 'maxPendingCalls', options.maxPendingCalls, PENDING_RANGE);
  checkNumeric(where, 'maxTaskRetries', options.maxTaskRetries, RETRIES_RANGE);
  for (const [key, value] of Object.entries(options.resourceLimits ?? {})) {
    checkNumeric(where, `resourceLimits.${key}`, value, { min: 0, max: Number.MAX_SAFE_INTEGER });
  }
  const pendingLimit = options.maxPendingCalls ?? def.options.maxPendingCalls;
  // Infinity is no limit.
  const maxPendingCalls = pendingLimit === Number.POSITIVE_INFINITY ? undefined : pendingLimit;
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
      const retryExceptions =
        retryExceptionNames(
          method.retryExceptions,
          `@method() retryExceptions of ${def.className}`,
        ) ??
        retryExceptionNames(
          def.options.retryExceptions,
          `@actor() retryExceptions of ${def.className}`,
        ) ??
        false;
      return maxTaskRetries === 0 ? undefined : { maxTaskRetries, retryExceptions };
    }),
    streamMethods: def.streamMethods,
    maxPendingCalls,
  };
  // Only an async actor limits groups inside its worker: a serial actor runs one call at a time,
  // and a threaded actor's pool routes each call to a thread of its group.
  const inWorker = def.kind === 'async';
  const args = (options.args ?? []) as unknown[];
  const hostGroups = inWorker ? groupLimits : [1];
  return {
    info,
    groupLimits,
    methodGroups: def.methodGroups,
    maxRestarts: restartsFrom(options.maxRestarts ?? def.options.maxRestarts ?? 0, def.className),
    startedSlot(call) {
      if (!inWorker) return StatSlot.Started;
      const asked = call.group ?? def.methodGroups[call.methodId] ?? 0;
      const group = asked < groupLimits.length ? asked : 0;
      return group < STARTED_GROUPS ? StatSlot.Started + group : -1;
    },
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
        groupLimits: hostGroups,
        methodGroups: inWorker ? def.methodGroups : def.methods.map(() => 0),
        streamMethods: def.streamMethods,
        refuseThenables: !def.compiled && !def.options.kind && def.kind !== 'async',
        replica,
        awaitUnify,
        ...(fence !== undefined ? { fence } : {}),
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
  return checkNumeric(`spawn(${className})`, 'maxRestarts', maxRestarts, RETRIES_RANGE) as number;
}
