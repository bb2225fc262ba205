/**
 * The wire protocol between a handle (client), an actor's worker (host) and a threaded actor's
 * dispatcher (supervisor). Every message is a flat array whose first slot is an `Op`; calls and
 * results travel in batches of triples so that one `postMessage` carries everything a tick made.
 */

export enum Op {
  /**
   * client → endpoint: `[Op.Calls, callId, target, args, …]`, where `target` is a method id, or
   * `[methodId, groupId]` for a call that overrides its method's concurrency group.
   */
  Calls = 1,
  /** endpoint → client: `[Op.Results, callId, Status, value, …]` */
  Results = 2,
  /** client → endpoint: `[Op.Connect, port]` serve another client on a new port */
  Connect = 3,
  /** supervisor → host: `[Op.Shutdown]` reject queued calls, finish running ones, then drain */
  Shutdown = 4,
  /** supervisor → host: `[Op.Unify, sharedFields]` adopt replica 0's shared primitives */
  Unify = 5,
  /** host → supervisor: `[Op.Drained]` shutdown finished: the supervisor ends the worker */
  Drained = 6,
  /** any client → endpoint: `[Op.Kill]` end the actor now (from a thread that does not own it) */
  Kill = 7,
  /** client → endpoint: `[Op.Cancel, callId]` drop the call if queued, abort its signal if running */
  Cancel = 8,
  /** client → endpoint: `[Op.StreamCredit, callId, n]` the consumer can take `n` more items */
  StreamCredit = 9,
}

/** Items a streaming call may send before its consumer grants more (`Op.StreamCredit`). */
export const STREAM_WINDOW = 16;

/** What became of one call. */
export enum Status {
  Ok = 0,
  /** The value holds encoded handles or shared primitives: decode it before use. */
  OkEncoded = 1,
  /** The method threw: the value is a `SerializedError`. */
  Threw = 2,
  /** The result could not be cloned: the value is a message. */
  NotCloneable = 3,
  /** The call never ran because the actor is ending: the value is a message. */
  Dropped = 4,
  /** A streaming call yielded an item (the call stays pending); the value is the item. */
  Yield = 5,
  /** Like `Yield`, with an item to decode first. */
  YieldEncoded = 6,
}

/**
 * Method id of the built-in call that settles once the actor is constructed (or rejects with the
 * constructor's error). Replica 0 of a threaded actor answers it with its `SharedFields`.
 */
export const READY_METHOD = -1;

/** Arguments that hold handles or shared primitives: the receiver decodes `encoded` first. */
export interface EncodedArgs {
  encoded: unknown[];
}

/** An error as it crosses a thread: enough to rebuild it, with its class where known. */
export interface SerializedError {
  /** False when a non-Error value (a string, `null`…) was thrown; `value` then holds it. */
  isError: boolean;
  name: string;
  message: string;
  stack?: string;
  /** Name of the thrown value's constructor, to find the same class on the other side. */
  className?: string;
  /** Own enumerable properties that could be cloned. */
  props?: Record<string, unknown>;
  cause?: SerializedError;
  value?: unknown;
}

/** What a handle knows of its actor. */
export interface ActorInfo {
  readonly actorId: string;
  readonly name: string;
  readonly kind: ActorKind;
  /** Method names; a method's id is its index here. */
  readonly methods: readonly string[];
  /** The actor's module, where the caller looks for its error classes. */
  readonly moduleUrl?: string;
  /** Concurrency group names; a group's id is its index (0: the default group). */
  readonly groups: readonly string[];
  /** Per-method `timeoutMs`, where given. */
  readonly methodTimeouts: readonly (number | undefined)[];
  /** Ids of the methods whose calls stream (async generators). */
  readonly streamMethods: readonly number[];
  /** Calls that may be pending on this actor from one thread. */
  readonly maxPendingCalls?: number;
  /** Per-method retry policy, where a method's calls may be sent again. */
  readonly retries: readonly (
    | { maxTaskRetries: number; retryExceptions: boolean | readonly string[] }
    | undefined
  )[];
}

/** A handle as it crosses a thread: the receiver rebuilds a handle that calls through `port`. */
export interface HandleDescriptor {
  $troupe: 'handle';
  info: ActorInfo;
  port: import('node:worker_threads').MessagePort;
}

export type ActorKind = 'serial' | 'async' | 'threaded';

/** Shared primitives created by replica 0, keyed by field name, as cloneable descriptors. */
export type SharedFields = Record<string, unknown>;

/** Everything a worker needs to host an actor, passed as `workerData`. */
export interface HostInit {
  actorId: string;
  name: string;
  kind: ActorKind;
  /** URL of the module the worker imports to find the class. */
  moduleUrl: string;
  exportName: string;
  className: string;
  methods: string[];
  /** Constructor arguments, encoded (they may hold handles and shared primitives). */
  args: unknown[];
  /** The limit of each concurrency group, by group id (0: the default group). */
  groupLimits: number[];
  /** Group id of each method. */
  methodGroups: number[];
  /** Ids of async generator methods, whose calls stream their items. */
  streamMethods: number[];
  port: import('node:worker_threads').MessagePort;
  /** Int32Array over a SharedArrayBuffer: see `StatSlot`; also carries the shutdown request. */
  stats: Int32Array;
  /** Replicas other than 0 of a threaded actor wait for `Op.Unify` before serving. */
  awaitUnify: boolean;
  /** Index of this thread among a threaded actor's replicas (0 otherwise). */
  replica: number;
  /** This worker's port to the actor name registry (in the main thread). */
  registryPort: import('node:worker_threads').MessagePort;
}

/** Slots of the per-actor counters the host keeps for `listActors()`. */
export enum StatSlot {
  Queued = 0,
  Running = 1,
  Done = 2,
  Failed = 3,
  /**
   * Set by the supervisor before it posts `Op.Shutdown`: a worker busy with a blocking call reads
   * the message only when its loop is free, but checks this between calls.
   */
  ShutdownRequested = 4,
  /**
   * Id of the owner's call running now, 0 when none, kept by one-call-at-a-time hosts: after a
   * crash it tells the call that may have run in part from those that never started.
   */
  RunningCall = 5,
}
export const STAT_SLOTS = 6;

/** Something `postMessage` can move rather than copy (an ArrayBuffer, a MessagePort…). */
export type Transferable = import('node:worker_threads').TransferListItem;
