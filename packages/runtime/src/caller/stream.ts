import { type CallMeta, STREAM_WINDOW } from '../wire/protocol.js';
import { budgetOf, Call, type CallExtras } from './call.js';
import type { ActorRef } from './ref.js';

/**
 * The consumer's side of a streaming call (an async generator method): items arrive as the
 * actor yields them and wait here until read. The actor sends at most `STREAM_WINDOW` items
 * ahead; reading half of them grants as many again (backpressure). Breaking out of a
 * `for await` loop calls `return()`, which stops the generator in the actor.
 */
export class RemoteStream<T = unknown> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private readers: {
    resolve(result: IteratorResult<T>): void;
    reject(error: unknown): void;
  }[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private unacknowledged = 0;

  constructor(
    /** Grants the actor `n` more items. */
    private readonly grant: (n: number) => void,
    /** Stops the generator in the actor. */
    private readonly stop: () => void,
  ) {}

  /** An item arrived. */
  push(item: T): void {
    const reader = this.readers.shift();
    if (reader) {
      this.consumed();
      reader.resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  /** The generator returned. */
  end(): void {
    this.ended = true;
    for (const reader of this.readers.splice(0)) reader.resolve({ value: undefined, done: true });
  }

  /**
   * The generator threw (after the items already pushed), the actor died, or an item could not be
   * sent. The error is delivered once, to the read waiting for it or to the next one; reads after
   * it are done.
   */
  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const readers = this.readers.splice(0);
    if (readers.length === 0) {
      this.failure = { error };
      return;
    }
    (readers[0] as (typeof readers)[number]).reject(error);
    for (let i = 1; i < readers.length; i++) {
      (readers[i] as (typeof readers)[number]).resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      this.consumed();
      return Promise.resolve({ value: this.items.shift() as T, done: false });
    }
    if (this.failure) {
      const { error } = this.failure;
      this.failure = undefined;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.readers.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.ended) {
      this.ended = true;
      this.stop();
    }
    this.items.length = 0;
    this.failure = undefined;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private consumed(): void {
    if (this.ended) return;
    this.unacknowledged++;
    if (this.unacknowledged >= STREAM_WINDOW / 2) {
      this.grant(this.unacknowledged);
      this.unacknowledged = 0;
    }
  }
}

/**
 * Stops the generator of a stream its consumer dropped without reading it to the end or calling
 * `return()`: the actor's slot is freed once the garbage collector finds the stream.
 */
const abandoned = new FinalizationRegistry<() => void>((stop) => stop());

/**
 * Starts a streaming call (an async generator method): its items arrive on the returned stream
 * as the actor yields them. Its method's retries apply until the first item arrives (a crash,
 * or an error its `retryExceptions` names); after that it is never sent again, since items
 * already read cannot be taken back. The call reaches its stream weakly, so a stream the
 * consumer drops is collected, and its generator stopped.
 */
export function openStream(
  ref: ActorRef,
  methodId: number,
  args: unknown[],
  meta?: CallMeta,
): RemoteStream {
  const extras: CallExtras = { retry: budgetOf(ref.info.retries[methodId]), meta };
  const call = new Call(ref, methodId, args, extras);
  const stop = () => {
    if (call.settled) return;
    ref.cancel(call, false, true);
    call.abandon();
  };
  const stream = new RemoteStream((n) => call.conn?.credit(call, n), stop);
  const weak = new WeakRef(stream);
  extras.onYield = (item) => weak.deref()?.push(item);
  call.promise.then(
    () => weak.deref()?.end(),
    (error) => weak.deref()?.fail(error),
  );
  abandoned.register(stream, stop, stream);
  ref.send(call);
  return stream;
}
