import type { Endpoint } from '../wire/endpoint.js';
import { STREAM_WINDOW } from '../wire/protocol.js';

/** A streaming call in progress: items are pulled from the generator while credit lasts. */
interface Stream<G> {
  readonly group: G;
  readonly endpoint: Endpoint;
  readonly callId: number;
  readonly iterator: AsyncIterator<unknown>;
  credit: number;
  pulling: boolean;
  finished: boolean;
}

/**
 * The streaming calls of one actor (generator methods, sync or async): each sends items while its
 * consumer has credit (`STREAM_WINDOW` at first, then what `Op.StreamCredit` grants), and the
 * call ends with the generator, or when the consumer stops reading (the generator's `return()`
 * runs, so its `finally` blocks do).
 */
export class StreamPump<G> {
  private readonly streams = new Map<Endpoint, Map<number, Stream<G>>>();

  constructor(
    /** The generator ended (returned, threw, or was stopped): the call settles with `value`. */
    private readonly finished: (
      group: G,
      endpoint: Endpoint,
      callId: number,
      value: unknown,
      ok: boolean,
    ) => void,
  ) {}

  start(group: G, endpoint: Endpoint, callId: number, iterator: AsyncIterator<unknown>): void {
    const stream: Stream<G> = {
      group,
      endpoint,
      callId,
      iterator,
      credit: STREAM_WINDOW,
      pulling: false,
      finished: false,
    };
    let byCall = this.streams.get(endpoint);
    if (!byCall) {
      byCall = new Map();
      this.streams.set(endpoint, byCall);
    }
    byCall.set(callId, stream);
    void this.pull(stream);
  }

  credit(endpoint: Endpoint, callId: number, n: number): void {
    const stream = this.streams.get(endpoint)?.get(callId);
    if (stream) {
      stream.credit += n;
      void this.pull(stream);
    }
  }

  /** The consumer stopped reading: end the generator (its finally blocks run), then the call. */
  stop(endpoint: Endpoint, callId: number): void {
    const stream = this.streams.get(endpoint)?.get(callId);
    if (!stream) return;
    // No more items: the loop that pulls them ends at its next turn.
    stream.credit = 0;
    const ended = () => this.finish(stream, undefined, true);
    Promise.resolve(stream.iterator.return?.()).then(ended, ended);
  }

  /** Sends items while the consumer has credit; the call ends with the generator. */
  private async pull(stream: Stream<G>): Promise<void> {
    if (stream.pulling || stream.finished) return;
    stream.pulling = true;
    try {
      while (stream.credit > 0 && !stream.finished) {
        const step = await stream.iterator.next();
        if (stream.finished) return;
        if (step.done) {
          this.finish(stream, step.value, true);
          return;
        }
        stream.credit--;
        stream.endpoint.yield(stream.callId, step.value);
      }
    } catch (error) {
      this.finish(stream, error, false);
    } finally {
      stream.pulling = false;
    }
  }

  private finish(stream: Stream<G>, value: unknown, ok: boolean): void {
    if (stream.finished) return;
    stream.finished = true;
    this.streams.get(stream.endpoint)?.delete(stream.callId);
    this.finished(stream.group, stream.endpoint, stream.callId, value, ok);
  }
}

/**
 * What a generator method returned, as the async iterator the pump pulls: an async generator as
 * it is, a sync one adapted as `for await` reads it (each yielded promise awaited); undefined for
 * anything else (the method's value is then its result).
 */
export function asStream(value: unknown): AsyncIterator<unknown> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (typeof (value as Iterator<unknown>).next !== 'function') return undefined;
  if (Symbol.asyncIterator in value) return value as unknown as AsyncIterator<unknown>;
  if (Symbol.iterator in value) return fromSync(value as unknown as Iterator<unknown>);
  return undefined;
}

function fromSync(iterator: Iterator<unknown>): AsyncIterator<unknown> {
  const settle = async (step: IteratorResult<unknown>): Promise<IteratorResult<unknown>> => {
    try {
      return { done: step.done, value: await step.value } as IteratorResult<unknown>;
    } catch (error) {
      // A yielded promise that rejects ends the stream: close the generator, as `for await` does.
      if (!step.done) iterator.return?.();
      throw error;
    }
  };
  return {
    next: async () => settle(iterator.next()),
    return: async (value?: unknown) =>
      settle(iterator.return?.(value) ?? { done: true, value: undefined }),
  };
}
