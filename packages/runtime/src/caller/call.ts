import { ActorDiedError, CancelledError, died, SerializationError } from '../errors.js';
import type { RetryException } from '../options.js';
import { decodeDeep } from '../wire/codec.js';
import { reviveRemoteError } from '../wire/errors.js';
import {
  type CallMeta,
  READY_METHOD,
  type RetryPolicy,
  type SerializedError,
  Status,
} from '../wire/protocol.js';
import { findErrorClass } from './error-classes.js';
import { type Children, childrenOfRunningCall } from './lineage.js';
import { type ActorRef, CancelOutcome } from './ref.js';

/** Sends a call may still take after its first (-1: without end), and the errors that earn one. */
export interface RetryBudget {
  left: number;
  readonly exceptions: boolean | readonly string[];
}

/** Where a sent call waits for its answer: a connection, which can pass on stream credit. */
export interface Route {
  credit(call: Call, n: number): void;
  /** The call settled before its answer came (a cancel's grace ran out): it holds nothing now. */
  detach(call: Call): void;
}

/** The resolve function of the promise `Call`'s constructor is making. */
let builtResolve: ((value: unknown) => void) | undefined;

/** One executor for every call's promise, so that making a promise allocates no closure. */
function capture(resolve: (value: unknown) => void): void {
  builtResolve = resolve;
}

/**
 * What a call's promise is resolved with to reject it. A call keeps only its promise's resolve
 * function, not the reject one too: each pending call's record and what it keeps alive is what
 * the garbage collector copies and promotes with 200k calls queued (guarantee 5), and the reject
 * function is 56 of a pending call's bytes plus its slot. Resolving with a thenable that rejects
 * settles the promise the same way (with the same error, reported as unhandled when nobody
 * handles it), one microtask later than a direct reject; a rejection is the rare path.
 */
class Rejection {
  constructor(private readonly error: unknown) {}

  // biome-ignore lint/suspicious/noThenProperty: the point: the promise adopts it, and rejects.
  then(_resolve: unknown, reject: (error: unknown) => void): void {
    reject(this.error);
  }
}

/** A constructor that returns its argument, so that a subclass stamps private fields on it. */
class Stamp {
  constructor(target: object) {
    // biome-ignore lint/correctness/noConstructorReturn: the point: the subclass's fields land on target.
    return target;
  }
}

/**
 * Links the promise a handle returned to its `Call`, for `cancel(promise)` in O(1). The link is a
 * private field stamped on the promise itself: a WeakMap (or Map) keyed by promises costs about
 * 1.5 µs a call in V8 (measured), as much as the whole call, while a private field costs ~10 ns,
 * dies with the promise, and is invisible to `console.log` and to user code. (A Promise subclass
 * would hold the field inside the promise and save the 40-byte property array the stamp adds, but
 * `Promise.all` and `then` leave their fast paths for a subclass, and `Promise.all` then keeps a
 * derived promise a call: as many bytes as it saves.)
 */
class PromiseLink extends Stamp {
  #call: Call;

  constructor(promise: Promise<unknown>, call: Call) {
    super(promise);
    this.#call = call;
  }

  static callOf(promise: object): Call | undefined {
    return #call in promise ? (promise as PromiseLink).#call : undefined;
  }
}

/**
 * The call behind a promise a handle returned, while the promise is still that call's: a settled
 * plain call's record may be reused by a later call (`CallPool`), and its old promise then finds
 * nothing (a cancel of it does nothing, as of any settled call).
 */
export function callOf(promise: Promise<unknown>): Call | undefined {
  if (typeof promise !== 'object' || promise === null) return undefined;
  const call = PromiseLink.callOf(promise);
  return call !== undefined && call.promise === promise ? call : undefined;
}

const NO_ARGS: unknown[] = [];

/**
 * Told when a call is made and when it settles, where this thread observes calls (tracing, the
 * timeline's cancellations): observe/ installs one. Without one, a call pays one null check at
 * each end.
 */
export interface CallWatcher {
  /** A call was made; the watcher may give it metadata (`call.setMeta`) before it is sent. */
  made(call: Call): void;
  /** The call settled: `error` is undefined if it resolved. */
  settled(call: Call, error: unknown): void;
}

let watcher: CallWatcher | null = null;

/** Installs the watcher of this thread's calls (null: none). */
export function watchCalls(next: CallWatcher | null): void {
  watcher = next;
}

/**
 * One call, from the handle that made it to its settlement: the promise the caller holds, what
 * to send, where it is pending, and its retry budget. It is the same record whether it waits for
 * its arguments, sits in a thread pool's queue, travels on a connection or is sent again after a
 * crash, and `answer` is the one place where the actor's answer decides its outcome.
 */
/**
 * What few calls have, kept off the record so that a plain call stays small (each pending call's
 * record lives until its answer, and its size is what the garbage collector pays for).
 */
export interface CallExtras {
  /** The concurrency group the call asked for, where it overrides its method's. */
  group?: number | undefined;
  retry?: RetryBudget | undefined;
  meta?: CallMeta | undefined;
  /** A streaming call's items, as they arrive. */
  onYield?: ((item: unknown) => void) | undefined;
  /** A streaming call has delivered an item: it can no longer be sent again. */
  yielded?: boolean;
  /** Waiting for arguments that are promises (or an earlier held call on a serial actor). */
  held?: boolean;
  /** Runs once when the call settles (per-call options clean up their timer and counters). */
  onSettled?: (() => void) | undefined;
  /** The calls made by the running call that made this one (cancelled with it). */
  siblings?: Children | undefined;
  /**
   * Cancelled while its abort handling runs: the error it rejects with once its actor answers,
   * or once the grace passes (`graceTimer`).
   */
  cancelError?: Error | undefined;
  graceTimer?: NodeJS.Timeout | undefined;
}

/** How long a running async call's abort handling may take before its cancel rejects it (ms). */
export const CANCEL_GRACE_MS = 5000;

/** How a call is cancelled: `cancel(call, options)`, a timeout, or its parent's cancel. */
export interface CancelHow {
  /** Replace the thread running a sync call (threaded actors only). */
  force?: boolean;
  /** Cancel the calls it made too, down the chain. @default true */
  recursive?: boolean;
  /** How long a running async call's abort handling may take. @default 5000 ms */
  graceMs?: number;
}

/** What a settled call holds instead of its promise's resolve function. */
const SETTLED = (): void => {};

/** Records the pool keeps at most (about 100 bytes each). */
const POOL_MAX = 1 << 18;
/** How often the pool looks for records no call took since its last look, and lets half go (ms). */
const POOL_LOOK_MS = 2000;

/**
 * The records of settled plain calls, for later calls to reuse (guarantee 5). A call's record
 * lives until its answer, and with 200k calls queued every record made is still alive at the
 * young generation's next two collections, which copy it and then promote it: the collector's
 * work for a pending call grows with the bytes it keeps (about 4 ns a byte, measured), and at
 * 200k it was most of the caller's time. A reused record already lives in the old generation,
 * so only what each call must make anew (its promise and resolve function) is copied. Records
 * come back only from where nothing else can hold them: a handle's plain call (no retries, no
 * extras, unwatched) answered by its connection or withdrawn by a cancel before it started.
 * What a burst left goes by halves once no call takes it: each look lets go of half the records
 * no call took since the previous look (about 25 MB after the largest burst the pool keeps,
 * 3 MB six seconds later). Halves, not all: a look that lands between two bursts a moment apart
 * would otherwise leave the second to make every record anew.
 */
class CallPool {
  private readonly records: Call[] = [];
  /** The fewest records held since the last look: that many were not needed in between. */
  private lowWater = 0;
  private timer: NodeJS.Timeout | undefined;

  take(): Call | undefined {
    const call = this.records.pop();
    if (this.records.length < this.lowWater) this.lowWater = this.records.length;
    return call;
  }

  put(call: Call): void {
    if (this.records.length >= POOL_MAX) return;
    this.records.push(call);
    if (this.timer === undefined) {
      this.lowWater = this.records.length;
      this.timer = setTimeout(this.look, POOL_LOOK_MS);
      this.timer.unref();
    }
  }

  /** How many records the pool holds (tests). */
  get size(): number {
    return this.records.length;
  }

  private readonly look = (): void => {
    this.records.length -= Math.ceil(this.lowWater / 2);
    this.lowWater = this.records.length;
    this.timer = undefined;
    if (this.records.length > 0) {
      this.timer = setTimeout(this.look, POOL_LOOK_MS);
      this.timer.unref();
    }
  };
}

const pool = new CallPool();

/** How many settled calls' records wait for reuse on this thread (tests). */
export function pooledCalls(): number {
  return pool.size;
}

/** What a pooled record holds instead of a promise: never a call's, so no promise finds it. */
const POOLED: Promise<unknown> = Promise.resolve();

export class Call {
  /** The promise the caller holds (`POOLED` while the record waits in the pool). */
  promise: Promise<unknown> = POOLED;
  /** Where the call is pending now (undefined before it is sent and once answered). */
  conn: Route | undefined = undefined;
  /** The call's id on `conn`; 0 until it is first sent. */
  wireId = 0;
  /**
   * The promise's resolve function until it settles (a rejection resolves it with a `Rejection`),
   * `SETTLED` after: the record lives as long as the promise (which links to it), and the
   * resolve function with its context is most of what it holds, so it goes first. With
   * thousands of calls pipelined, what settled calls keep alive is what every young-generation
   * collection copies.
   */
  private settlePromise: (value: unknown) => void = SETTLED;
  /**
   * Made by a handle's plain path, where nothing but the actor's routing keeps the record: once
   * settled it goes back to the pool for a later call (see `CallPool`). False while pooled.
   */
  private reusable = false;

  constructor(
    /** The actor the call was made on; a retry goes to it again. Set again only when reused. */
    public ref: ActorRef,
    public methodId: number,
    /** What to send; kept only while the call may still be sent (see `sent`). */
    public args: unknown[],
    public extras: CallExtras | undefined,
  ) {
    this.open();
  }

  /**
   * Starts the call the record now holds: its promise, the link `cancel(promise)` follows, its
   * place among the calls of the running call that made it, and the watcher's word.
   */
  private open(): void {
    this.promise = new Promise(capture);
    this.settlePromise = builtResolve as (value: unknown) => void;
    builtResolve = undefined;
    new PromiseLink(this.promise, this);
    // A call made by a running actor call is cancelled with it (Ray's recursive cancel).
    const siblings = childrenOfRunningCall();
    if (siblings !== undefined) {
      siblings.add(this);
      if (this.extras === undefined) this.extras = { siblings };
      else this.extras.siblings = siblings;
    }
    if (watcher !== null) watcher.made(this);
  }

  /**
   * A new plain call, made by a handle: a settled plain call's record is reused where the pool
   * has one. A call the watcher sees, or with extras (retries), gets a record of its own.
   */
  static plain(ref: ActorRef, methodId: number, args: unknown[]): Call {
    const extras = extrasOf(ref, methodId, undefined, undefined);
    if (extras !== undefined || watcher !== null) return new Call(ref, methodId, args, extras);
    let call = pool.take();
    if (call === undefined) call = new Call(ref, methodId, args, undefined);
    else {
      call.ref = ref;
      call.methodId = methodId;
      call.args = args;
      call.wireId = 0;
      call.open();
    }
    call.reusable = true;
    return call;
  }

  /**
   * Its ref is done with the settled call (its answer came, or it was withdrawn before it
   * started): a plain call's record goes back to the pool. Its promise no longer finds it.
   */
  recycle(): void {
    if (!this.reusable || !this.settled || this.extras !== undefined || watcher !== null) return;
    this.reusable = false;
    this.promise = POOLED;
    this.args = NO_ARGS;
    this.conn = undefined;
    pool.put(this);
  }

  /** Whether the call has its outcome (or was abandoned). */
  get settled(): boolean {
    return this.settlePromise === SETTLED;
  }

  get group(): number | undefined {
    return this.extras?.group;
  }

  get retry(): RetryBudget | undefined {
    return this.extras?.retry;
  }

  get meta(): CallMeta | undefined {
    return this.extras?.meta;
  }

  /** Gives the call metadata to travel with it (set before it is sent). */
  setMeta(meta: CallMeta): void {
    if (this.extras === undefined) this.extras = { meta };
    else this.extras.meta = meta;
  }

  get held(): boolean {
    return this.extras?.held === true;
  }

  set held(held: boolean) {
    (this.extras as CallExtras).held = held;
  }

  get onYield(): ((item: unknown) => void) | undefined {
    return this.extras?.onYield;
  }

  /** The method's name, for messages. */
  get method(): string {
    return this.methodId === READY_METHOD
      ? 'ready'
      : (this.ref.info.methods[this.methodId] ?? `#${this.methodId}`);
  }

  /**
   * The call left for a connection: its arguments are kept only if it may be sent again (`keepArgs`:
   * the connection sends again a call that reached no host, whatever its retries).
   */
  sent(keepArgs: boolean): void {
    if (!keepArgs && this.retry === undefined && this.ref.resends !== true) this.args = NO_ARGS;
  }

  resolve(value: unknown): void {
    const resolve = this.settlePromise;
    if (resolve === SETTLED) return;
    const extras = this.extras;
    if (extras !== undefined) {
      // A cancelled call whose answer raced its cancel: the cancel won (cancel() said so).
      if (extras.cancelError !== undefined) {
        this.reject(extras.cancelError);
        return;
      }
      this.finished(extras);
    }
    this.release();
    resolve(value);
    if (watcher !== null) watcher.settled(this, undefined);
  }

  reject(error: unknown): void {
    const settle = this.settlePromise;
    if (settle === SETTLED) return;
    const extras = this.extras;
    if (extras !== undefined) {
      this.finished(extras);
      if (extras.cancelError !== undefined) error = extras.cancelError;
    }
    this.release();
    settle(new Rejection(error));
    if (watcher !== null) watcher.settled(this, error ?? new Error('rejected'));
  }

  /** Settled without a word: a stream whose consumer stopped reading. */
  abandon(): void {
    if (this.settled) return;
    if (this.extras !== undefined) this.finished(this.extras);
    if (watcher !== null) watcher.settled(this, undefined);
    this.release();
  }

  private release(): void {
    this.settlePromise = SETTLED;
  }

  private finished(extras: CallExtras): void {
    if (extras.graceTimer !== undefined) clearTimeout(extras.graceTimer);
    extras.siblings?.delete(this);
    extras.onSettled?.();
  }

  /**
   * Whether the call may be sent again (a crash, or an error its policy retries on): a stream
   * only until it has delivered an item, since items already read cannot be taken back; never a
   * call being cancelled.
   */
  canRetry(): boolean {
    const extras = this.extras;
    return (
      extras !== undefined &&
      extras.retry !== undefined &&
      extras.retry.left !== 0 &&
      extras.yielded !== true &&
      extras.cancelError === undefined
    );
  }

  /** Sends the call again to its actor, using up one retry (its metadata counts them). */
  resend(): void {
    const retry = this.retry as RetryBudget;
    if (retry.left > 0) retry.left--;
    this.setMeta({ ...this.meta, retries: (this.meta?.retries ?? 0) + 1 });
    this.ref.send(this);
  }

  /**
   * The actor that held the call crashed and was restarted. A call that had not `started` waits
   * for the new instance, whatever its retries (it never ran); one that had started is sent again
   * if its retries allow, else it rejects with the error `died` builds.
   */
  interrupted(started: boolean, died: () => ActorDiedError): void {
    if (this.settled) return;
    // A call being cancelled rejects with its cancel's error (`reject` takes it).
    if (!started && this.extras?.cancelError === undefined) this.ref.send(this);
    else if (this.canRetry()) this.resend();
    else this.reject(died());
  }

  /** What the actor answered: the one place where a call's outcome is decided. */
  answer(status: Status, value: unknown): void {
    if (this.settled) return;
    switch (status) {
      case Status.Ok:
        this.resolve(value);
        return;
      case Status.OkEncoded:
        this.resolveDecoded(value);
        return;
      case Status.Yield:
        (this.extras as CallExtras).yielded = true;
        this.onYield?.(value);
        return;
      case Status.YieldEncoded: {
        (this.extras as CallExtras).yielded = true;
        let item: unknown;
        try {
          item = decodeDeep(value);
        } catch (error) {
          this.reject(error);
          return;
        }
        this.onYield?.(item);
        return;
      }
      case Status.Threw: {
        const error = value as SerializedError;
        if (this.canRetry() && retriesOn((this.retry as RetryBudget).exceptions, error)) {
          this.resend();
        } else {
          this.reject(this.remoteError(error));
        }
        return;
      }
      case Status.NotCloneable:
        this.reject(
          new SerializationError(
            `Actor ${this.ref.info.name}, method '${this.method}': ` +
              (this.onYield === undefined
                ? `its result cannot be sent back (${value}). Return data`
                : `an item it yielded cannot be sent back (${value}); the stream ended and ` +
                  'its generator was closed. Yield data') +
              ' that structured clone accepts: functions, symbols, Proxies, objects whose ' +
              'getters throw and objects nested thousands deep cannot cross threads.',
            this.ref.info.name,
            this.method,
            'result',
          ),
        );
        return;
      case Status.Dropped:
        // The host dropped it before it started (the actor is ending): it never ran.
        this.reject(new ActorDiedError(value as string, this.ref.info.name, false));
        return;
      case Status.Died:
        this.reject(died.whileRunning(this.ref.info.name, this.method, value as string));
        return;
      case Status.Cancelled:
        this.reject(
          new CancelledError(
            `call '${this.method}' on actor ${this.ref.info.name} was cancelled.`,
            this.ref.info.name,
            this.method,
          ),
        );
        return;
    }
  }

  /**
   * Cancels the call. A call not started never will (one compare-and-swap on shared memory
   * decides, see `CallState`) and rejects at once, as does a running sync call (its result is
   * dropped, `isCancelled()` turns true in it); a running async call that watches its
   * `callSignal()` rejects once its abort handling is done, or after `graceMs`. The calls it made
   * are cancelled too unless `recursive` is false. False if it had settled (or was cancelled)
   * already.
   */
  cancel(makeError: (call: Call) => Error, how: CancelHow = {}): boolean {
    if (this.settled || this.extras?.cancelError !== undefined) return false;
    // A held call was never sent: settling it is enough, it will not be sent.
    const outcome = this.held
      ? CancelOutcome.NotStarted
      : this.ref.cancel(this, how.force === true, how.recursive !== false);
    const error = makeError(this);
    if (outcome !== CancelOutcome.Aborting) {
      this.reject(error);
      if (outcome === CancelOutcome.Withdrawn) this.recycle();
      return true;
    }
    const extras = this.extras ?? {};
    this.extras = extras;
    extras.cancelError = error;
    const graceMs = how.graceMs ?? CANCEL_GRACE_MS;
    if (graceMs !== Number.POSITIVE_INFINITY) {
      extras.graceTimer = setTimeout(() => {
        // Its actor may answer later, or never: that answer no longer holds the process open.
        this.conn?.detach(this);
        this.reject(error);
      }, graceMs);
      extras.graceTimer.unref();
    }
    return true;
  }

  /** The running call that made this one was cancelled (recursively): so is this one. */
  cancelAsChild(): void {
    this.cancel(
      (call) =>
        new CancelledError(
          `call '${call.method}' on actor ${call.ref.info.name} was cancelled, because the call ` +
            'that made it was (cancel is recursive unless { recursive: false }).',
          call.ref.info.name,
          call.method,
        ),
    );
  }

  private resolveDecoded(value: unknown): void {
    let decoded: unknown;
    try {
      decoded = decodeDeep(value);
    } catch (error) {
      this.reject(error);
      return;
    }
    this.resolve(decoded);
  }

  private remoteError(error: SerializedError): Error {
    const info = this.ref.info;
    return reviveRemoteError(error, info.name, this.method, (cls) =>
      findErrorClass(cls, info.moduleUrl),
    );
  }
}

/**
 * Whether a thrown error (as it crossed the thread) is one the call's policy retries on: a name
 * listed is the error's own `name` or that of a class in its prototype chain.
 */
function retriesOn(exceptions: boolean | readonly string[], error: SerializedError): boolean {
  if (exceptions === true) return true;
  if (exceptions === false) return false;
  if (exceptions.includes(error.name)) return true;
  return error.chain?.some((name) => exceptions.includes(name)) === true;
}

/**
 * `retryExceptions` as it travels: `true`, `false`, or the names of the errors to retry on (a
 * class is listed by its name, which the thrown error's prototype chain is matched against).
 * Throws a `TypeError` naming `option` for anything else.
 */
export function retryExceptionNames(
  value: boolean | readonly RetryException[] | undefined,
  option: string,
): boolean | readonly string[] | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  if (!Array.isArray(value)) {
    throw new TypeError(
      `${option} must be true, false or an array of error classes and names, not ${String(value)}.`,
    );
  }
  return value.map((entry: unknown) => {
    if (typeof entry === 'string' && entry !== '') return entry;
    if (typeof entry === 'function' && typeof entry.name === 'string' && entry.name !== '') {
      return entry.name;
    }
    throw new TypeError(
      `${option} lists ${typeof entry === 'function' ? 'an anonymous class' : String(entry)}: ` +
        'list error classes (named) or error names, e.g. [NetworkError, "TimeoutError"].',
    );
  });
}

/** The retry budget a policy gives a new call, if any. */
export function budgetOf(policy: RetryPolicy | undefined): RetryBudget | undefined {
  return policy === undefined || policy.maxTaskRetries === 0
    ? undefined
    : { left: policy.maxTaskRetries, exceptions: policy.retryExceptions };
}

/** Makes a plain call from a handle and sends it: the path of every handle method's call. */
export function startPlainCall(ref: ActorRef, methodId: number, args: unknown[]): Promise<unknown> {
  const call = Call.plain(ref, methodId, args);
  const promise = call.promise;
  ref.send(call);
  return promise;
}

/** Makes a call and sends it. */
export function startCall(
  ref: ActorRef,
  methodId: number,
  args: unknown[],
  group?: number,
  policy?: RetryPolicy,
  extras: CallExtras | undefined = extrasOf(ref, methodId, group, policy),
): Call {
  const call = new Call(ref, methodId, args, extras);
  ref.send(call);
  return call;
}

/** The extras a new call needs: none for a plain call without retries. */
export function extrasOf(
  ref: ActorRef,
  methodId: number,
  group: number | undefined,
  policy: RetryPolicy | undefined,
): CallExtras | undefined {
  const retry = budgetOf(policy ?? ref.info.retries[methodId]);
  return group === undefined && retry === undefined ? undefined : { group, retry };
}
