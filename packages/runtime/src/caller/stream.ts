import { STREAM_WINDOW } from '../wire/protocol.js';
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

  /** The generator threw (after the items already pushed), or the actor died. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.failure = { error };
    this.ended = true;
    for (const reader of this.readers.splice(0)) reader.reject(error);
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
 * Starts a streaming call (an async generator method): its items arrive on the returned stream
 * as the actor yields them. Its method's retries apply until the first item arrives (a crash,
 * or an error its `retryExceptions` names); after that it is never sent again, since items
 * already read cannot be taken back.
 */
export function openStream(ref: ActorRef, methodId: number, args: unknown[]): RemoteStream {
  const extras: CallExtras = { retry: budgetOf(ref.info.retries[methodId]) };
  const call = new Call(ref, methodId, args, extras);
  const stream = new RemoteStream(
    (n) => call.conn?.credit(call, n),
    () => {
      if (call.settled) return;
      ref.cancel(call, false, true);
      call.abandon();
    },
  );
  extras.onYield = (item) => stream.push(item);
  call.promise.then(
    () => stream.end(),
    (error) => stream.fail(error),
  );
  ref.send(call);
  return stream;
}
