/**
 * The wire protocol between a handle (the caller), an actor's host (inside its worker), a threaded
 * actor's dispatcher (the supervisor) and the name registry. Every message is a flat array whose
 * first slot says what it is; calls and results travel in batches, so that one message carries
 * everything a tick made. The types below are the whole protocol: a message that is not one of
 * them is never sent. Only `batch.ts` knows the layout inside a batch.
 */
import type { MessagePort, TransferListItem } from 'node:worker_threads';
import type { ActorKind } from '@troupe/contract';

export enum Op {
  /** caller → host: a batch of calls (see `batch.ts`). */
  Calls = 1,
  /** host → caller: a batch of results (see `batch.ts`). */
  Results = 2,
  /** caller → host: serve another caller on a new port. */
  Connect = 3,
  /** supervisor → host: reject queued calls, finish running ones, then drain. */
  Shutdown = 4,
  /** supervisor → host: adopt replica 0's shared primitives. */
  Unify = 5,
  /** host → supervisor: the actor finished ending; the supervisor ends the worker. */
  Drained = 6,
  /** any caller → host: end the actor now (from a thread that does not own it). */
  Kill = 7,
  /** caller → host: drop the call if queued, abort its signal if running. */
  Cancel = 8,
  /** caller → host: the consumer of a streaming call can take `n` more items. */
  StreamCredit = 9,
  /**
   * host → supervisor: the actor called `exitActor()`. It starts no other call and ends within
   * `graceMs` (its `onShutdown()` and exit handlers run meanwhile); the owner ends it then.
   */
  Exiting = 10,
  /** supervisor → host: end now as `exitActor()` does (another thread of the actor called it). */
  Exit = 11,
  /**
   * caller → host: end gracefully once the calls already sent have run (Ray's
   * `__ray_terminate__`): later calls are dropped, then `onShutdown()` runs and the host drains.
   */
  Terminate = 12,
  /**
   * caller → host: the next chunk of the link's call-state cells (`CallState`), shared memory
   * where a call id is an index: sent before the first call that uses it.
   */
  CallCells = 13,
  /**
   * caller → host: a batch of calls as V8's serializer wrote it (a relay passes on the bytes a
   * remote caller sent, so that its own thread neither clones nor re-encodes them). host →
   * caller: a batch of results so written, to a caller that sent such calls, with the ids of the
   * calls it answers for good; a host answers so only when the whole batch can be written.
   */
  Serialized = 14,
}

/**
 * Where one call stands, in the `Int32Array` cell its caller and its host share (cell index =
 * call id). Started or cancelled is decided by one compare-and-swap on it: the host swaps
 * `Queued` for `Running` before it starts the call, the caller swaps `Queued` for `Cancelled`,
 * and whoever swaps first wins. The caller writes `Queued` when it gives the id to a new call.
 */
export enum CallState {
  /** Not started: the caller may still cancel it, and it then never starts. */
  Queued = 0,
  /** Cancelled before it started: the host skips it and answers `Status.Cancelled`. */
  Cancelled = 1,
  /** The method's synchronous part is running. */
  Running = 2,
  /** Cancelled while its synchronous part runs: `isCancelled()` is true, its result is dropped. */
  RunningCancelled = 3,
  /** The method returned a promise (or a stream) and no `callSignal()` was asked for. */
  Awaiting = 4,
  /**
   * The method returned a promise and watches its `callSignal()` (or the call was forwarded to
   * another thread): a cancel waits for the host's answer, which comes after the abort handling.
   */
  AwaitingWatched = 5,
  /** Cancelled while awaiting: the signal aborted, and its result will be dropped. */
  AwaitingCancelled = 6,
  /**
   * The method's synchronous part is running and has asked for its `callSignal()`: a cancel
   * waits for its answer, after the abort handling.
   */
  RunningWatched = 7,
}

/** A call id's chunk is `id >> CELL_SHIFT`, its cell in it `id & CELL_MASK`. */
export const CELL_SHIFT = 10;
/** Cells in one chunk of a link's call-state memory (`Op.CallCells`). */
export const CELLS_PER_CHUNK = 1 << CELL_SHIFT;
export const CELL_MASK = CELLS_PER_CHUNK - 1;

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
  /**
   * The call was running when its actor ended itself (`exitActor()`): it may have run in part.
   * The value says why the actor ended.
   */
  Died = 7,
  /**
   * The caller cancelled the call: it never started, or its result was dropped. The call id is
   * free again once this arrives.
   */
  Cancelled = 8,
}

/** Whether a result is an item of a stream (its call stays pending) rather than the call's answer. */
export function isStreamItem(status: Status): boolean {
  return status === Status.Yield || status === Status.YieldEncoded;
}

/**
 * Method id of the built-in call that settles once the actor is constructed (or rejects with the
 * constructor's error). Replica 0 of a threaded actor answers it with its `SharedFields`.
 */
export const READY_METHOD = -1;

/** Group id meaning "the method's own concurrency group" in a call that carries metadata. */
export const METHOD_GROUP = -1;

/**
 * Per-call metadata, for what travels with a call beyond its method and arguments. Later steps
 * fill it (trace context for observability, the actor's incarnation and a deadline for actors on
 * other machines); a call without metadata costs no byte for it.
 */
export interface CallMeta {
  /** W3C trace context (`traceparent`) of the span that made the call. */
  trace?: string;
  /** The incarnation of the actor the call was addressed to. */
  incarnation?: number;
  /** When the call stops being worth running, in ms since the epoch. */
  deadline?: number;
  /** How many times the call was sent again under its retries (a crash, or an error retried on). */
  retries?: number;
}

/**
 * Which method a call runs: its id; `[methodId, groupId]` where the call overrides its method's
 * concurrency group; `[methodId, groupId, meta]` where it carries metadata (`METHOD_GROUP` keeps
 * the method's own group).
 */
export type CallTarget =
  | number
  | readonly [methodId: number, groupId: number]
  | readonly [methodId: number, groupId: number, meta: CallMeta];

/** Arguments that hold handles or shared primitives: the receiver decodes `encoded` first. */
export interface EncodedArgs {
  encoded: unknown[];
}

/** Arguments as they travel: as given, or encoded when any holds a handle or a shared primitive. */
export type SentArgs = unknown[] | EncodedArgs;

declare const calls: unique symbol;
declare const results: unique symbol;
/** `[Op.Calls, callId, target, args, …]`: read and written by `batch.ts` alone. */
export type CallsBatch = readonly [Op.Calls, ...unknown[]] & { readonly [calls]: true };
/** `[Op.Results, callId, status, value, …]`: read and written by `batch.ts` alone. */
export type ResultsBatch = readonly [Op.Results, ...unknown[]] & { readonly [results]: true };

export type ConnectMessage = readonly [Op.Connect, port: MessagePort];
export type ShutdownMessage = readonly [Op.Shutdown] | readonly [Op.Shutdown, timeoutMs: number];
export type UnifyMessage = readonly [Op.Unify, fields: SharedFields];
export type DrainedMessage = readonly [Op.Drained, reason: string];
export type ExitingMessage = readonly [Op.Exiting, reason: string, graceMs: number];
export type ExitMessage = readonly [Op.Exit];
export type TerminateMessage = readonly [Op.Terminate];
export type KillMessage = readonly [Op.Kill];
/**
 * Calls to abort, many to a message: a call id, or its negation where the cancel must not reach
 * the calls it made (`cancel(call, { recursive: false })`).
 */
export type CancelMessage = readonly [Op.Cancel, ...callIds: number[]];
/** `[Op.CallCells, chunk, cells]`: cells `chunk * CELLS_PER_CHUNK` on, over shared memory. */
export type CallCellsMessage = readonly [Op.CallCells, chunk: number, cells: Int32Array];
export type StreamCreditMessage = readonly [Op.StreamCredit, callId: number, n: number];
/** `[Op.Serialized, bytes]`: a `CallsBatch`, serialized (a header, then the value). */
export type SerializedCallsMessage = readonly [Op.Serialized, bytes: Uint8Array];
/**
 * `[Op.Serialized, bytes, answered]`: a `ResultsBatch`, serialized, and the ids of the calls it
 * answers for good (every one but a stream's items).
 */
export type SerializedResultsMessage = readonly [
  Op.Serialized,
  bytes: Uint8Array,
  answered: Float64Array,
];

/** What a host receives besides calls: from its callers and from its supervisor. */
export type ControlMessage =
  | ShutdownMessage
  | UnifyMessage
  | KillMessage
  | CancelMessage
  | StreamCreditMessage
  | ExitMessage
  | TerminateMessage;
/** What an endpoint keeps for itself (the cells of its link's calls). */
export type LinkMessage = ConnectMessage | CallCellsMessage;
/** Everything a caller (or a supervisor) sends to a host. */
export type ToHost = CallsBatch | SerializedCallsMessage | LinkMessage | ControlMessage;
/** Everything a host sends back. */
export type FromHost = ResultsBatch | SerializedResultsMessage | DrainedMessage | ExitingMessage;
export type Message = ToHost | FromHost;

/** An error as it crosses a thread: enough to rebuild it, with its class where known. */
export interface SerializedError {
  /** False when a non-Error value (a string, `null`…) was thrown; `value` then holds it. */
  isError: boolean;
  name: string;
  message: string;
  stack?: string;
  /** Name of the thrown value's constructor, to find the same class on the other side. */
  className?: string;
  /**
   * Names of the classes in the thrown error's prototype chain, its own class first (for
   * `retryExceptions`, which matches a class and its subclasses).
   */
  chain?: string[];
  /** Own enumerable properties that could be cloned. */
  props?: Record<string, unknown>;
  cause?: SerializedError;
  value?: unknown;
}

// The kind names are the contract's: the transformer writes the same ones into compiled info.
export type { ActorKind };

/** A retry policy as a handle knows it: sends left after the first, and the errors retried on. */
export interface RetryPolicy {
  /** Sends left (-1: without end). */
  maxTaskRetries: number;
  retryExceptions: boolean | readonly string[];
}

/** What a handle knows of its actor. */
export interface ActorInfo {
  readonly actorId: string;
  readonly name: string;
  readonly kind: ActorKind;
  /** Method names; a method's id is its index here. */
  readonly methods: readonly string[];
  /** The actor's module, where the caller looks for its error classes. */
  readonly moduleUrl?: string | undefined;
  /** Concurrency group names; a group's id is its index (0: the default group). */
  readonly groups: readonly string[];
  /** Per-method `timeoutMs`, where given. */
  readonly methodTimeouts: readonly (number | undefined)[];
  /** Ids of the methods whose calls stream (async generators). */
  readonly streamMethods: readonly number[];
  /** Calls that may be pending on this actor from one thread. */
  readonly maxPendingCalls?: number | undefined;
  /** Per-method retry policy, where a method's calls may be sent again. */
  readonly retries: readonly (RetryPolicy | undefined)[];
}

/**
 * Descriptors: values the structured clone cannot carry as they are travel as one of these,
 * tagged by `$troupe`, and the receiving side's value codec rebuilds them.
 */
export interface Descriptor {
  $troupe: string;
}

/** A handle as it crosses a thread: the receiver rebuilds a handle that calls through `port`. */
export interface HandleDescriptor extends Descriptor {
  $troupe: 'handle';
  info: ActorInfo;
  port: MessagePort;
}

/** A shared primitive as it crosses a thread: its type and the memory every copy works on. */
export interface SharedDescriptor extends Descriptor {
  $troupe: 'shared';
  type: string;
  buffer: SharedArrayBuffer;
}

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
  methods: readonly string[];
  /** Constructor arguments, encoded (they may hold handles and shared primitives). */
  args: unknown[];
  /** The limit of each concurrency group, by group id (0: the default group). */
  groupLimits: readonly number[];
  /** Group id of each method. */
  methodGroups: readonly number[];
  /** Ids of async generator methods, whose calls stream their items. */
  streamMethods: readonly number[];
  /**
   * The kind was read from runtime metadata alone (no analysis ran, no `kind` declared) and is not
   * async: a method that returns a thenable would have made the actor async under the analysis,
   * so its call is refused rather than run on another concurrency model.
   */
  refuseThenables?: boolean;
  /** The owner's port to the actor (absent where the host is reached another way). */
  port?: MessagePort;
  /**
   * Int32Array over a SharedArrayBuffer: see `StatSlot`; also carries the shutdown request. Where
   * calls are observed, observe/ lays out its counters and timeline after the slots.
   */
  stats: Int32Array;
  /** Replicas other than 0 of a threaded actor wait for `Op.Unify` before serving. */
  awaitUnify: boolean;
  /** Index of this thread among a threaded actor's replicas (0 otherwise). */
  replica: number;
  /** This worker's port to the actor name registry (in the main thread). */
  registryPort?: MessagePort;
  /** URL of a module the worker imports before the actor's (`configure({ workerSetup })`). */
  workerSetup?: string | undefined;
  /**
   * A cluster node's lease, over shared memory: the `process.hrtime.bigint()` until which the
   * node may serve (0: no lease). Past it, no call starts until the lease is renewed or the
   * actor is ended: a node frozen past its lease never runs a stale call when it wakes.
   */
  fence?: BigInt64Array | undefined;
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
   * Set by a host whose actor called `exitActor()`, before it tells its owner: an owner that
   * sees the host exit before the message still knows the end was chosen (no restart).
   */
  ExitRequested = 5,
  /**
   * The first of one slot per concurrency group of the host: the id of the owner's last call
   * that started in that group. A group starts the owner's calls in the order they were sent,
   * so after a crash a pending call has started if and only if its id is at most its group's
   * slot: the one call that may have run is told from those that never started, at the cost of
   * one store per call. The first `STARTED_GROUPS` groups have one; calls of later groups (an
   * async actor with more groups) are taken as started after a crash, as the cautious answer.
   */
  Started = 6,
}
/** Concurrency groups whose started calls the counters track (see `StatSlot.Started`). */
export const STARTED_GROUPS = 8;
export const STAT_SLOTS = StatSlot.Started + STARTED_GROUPS;

/**
 * The name registry's protocol: it lives in the main thread, and each worker asks it over a port
 * of its own, blocking until `flag` is notified and the answer is on the port.
 */
export enum RegistryOp {
  /** Answer: `true` if registered, `false` if the name is taken. */
  Register = 1,
  /** Answer: the actor's `HandleDescriptor`, or `null`. */
  Lookup = 2,
  /** Serve another worker's port (no answer). */
  Connect = 3,
  /** The actor registered under the key from a worker has ended: free its name (no answer). */
  Unregister = 4,
}
export type RegistryRequest =
  | readonly [RegistryOp.Register, key: string, handle: HandleDescriptor, flag: Int32Array]
  | readonly [RegistryOp.Lookup, key: string, unused: undefined, flag: Int32Array]
  | readonly [RegistryOp.Connect, port: MessagePort]
  | readonly [RegistryOp.Unregister, key: string, actorId: string];
export type RegistryAnswer = boolean | HandleDescriptor | null;

/** Something `postMessage` can move rather than copy (an ArrayBuffer, a MessagePort…). */
export type Transferable = TransferListItem;
