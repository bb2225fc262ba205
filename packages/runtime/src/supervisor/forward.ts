import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { type Call, extrasOf, startCall } from '../caller/call.js';
import type { ActorRef } from '../caller/ref.js';
import { openStream, type RemoteStream } from '../caller/stream.js';
import { CancelledError } from '../errors.js';
import { groupOf, metaOf, methodOf } from '../wire/batch.js';
import { Endpoint, type Served } from '../wire/endpoint.js';
import {
  type CallMeta,
  type CallTarget,
  type ControlMessage,
  Op,
  READY_METHOD,
  STREAM_WINDOW,
} from '../wire/protocol.js';
import { PortTransport } from '../wire/transport.js';

/**
 * Serves calls from handles in other threads by passing them to an actor's ref in this thread:
 * a threaded actor's pool, or an actor that restarts, whose handles must outlive its workers.
 */
export class ForwardingTarget implements Served {
  /** Calls in progress, by endpoint and call id, for `Op.Cancel`. */
  private readonly calls = new Map<Endpoint, Map<number, Call>>();
  /** Streams in progress, by endpoint and call id, for `Op.Cancel`. */
  private readonly streams = new Map<Endpoint, Map<number, Forwarded>>();

  constructor(private readonly ref: ActorRef) {}

  /** A new port whose calls this thread forwards; it never holds the thread open. */
  connect(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    new Endpoint(new PortTransport(port1), this, false);
    return port2;
  }

  submit(endpoint: Endpoint, callId: number, target: CallTarget, args: unknown[]): void {
    const methodId = methodOf(target);
    if (methodId === READY_METHOD) {
      this.ref.ready().then(
        () => endpoint.reply(callId, undefined),
        (error) => endpoint.fail(callId, error),
      );
      return;
    }
    // Forwarding is starting, for the caller's compare-and-swap: a call its caller cancelled
    // first is skipped; once forwarded, a cancel waits for the answer from the actor's thread,
    // where the call's own compare-and-swap decides whether it starts.
    if (!endpoint.begin(callId)) return;
    endpoint.awaiting(callId, true);
    if (this.ref.info.streamMethods.includes(methodId)) {
      void this.forwardStream(endpoint, callId, methodId, args, metaOf(target));
      return;
    }
    // The call keeps what it carries (its trace context: its caller's span stays its parent).
    const group = groupOf(target);
    const meta = metaOf(target);
    const extras = extrasOf(this.ref, methodId, group, undefined);
    const call = startCall(
      this.ref,
      methodId,
      args,
      group,
      undefined,
      meta === undefined ? extras : { ...extras, meta },
    );
    let byCall = this.calls.get(endpoint);
    if (!byCall) {
      byCall = new Map();
      this.calls.set(endpoint, byCall);
    }
    byCall.set(callId, call);
    call.promise.then(
      (value) => {
        byCall.delete(callId);
        endpoint.reply(callId, value);
      },
      (error) => {
        byCall.delete(callId);
        endpoint.fail(callId, error);
      },
    );
  }

  /**
   * Items pass through while the consumer has credit (`STREAM_WINDOW` at first, then what its
   * `Op.StreamCredit` grants), and this side's stream holds the actor to its own window, so a
   * consumer that reads slowly holds the generator back across the forward too. A consumer
   * that stops reading (`Op.Cancel`), or an item that cannot be sent on, stops it.
   */
  private async forwardStream(
    endpoint: Endpoint,
    callId: number,
    methodId: number,
    args: unknown[],
    meta: CallMeta | undefined,
  ): Promise<void> {
    const stream = openStream(this.ref, methodId, args, meta);
    let byCall = this.streams.get(endpoint);
    if (!byCall) {
      byCall = new Map();
      this.streams.set(endpoint, byCall);
    }
    const forwarded: Forwarded = { stream, credit: STREAM_WINDOW, wake: undefined };
    byCall.set(callId, forwarded);
    let ended = false;
    try {
      for (;;) {
        while (forwarded.credit <= 0) {
          await new Promise<void>((resolve) => {
            forwarded.wake = resolve;
          });
        }
        const next = await stream.next();
        if (next.done) {
          ended = true;
          break;
        }
        forwarded.credit--;
        endpoint.yield(callId, next.value);
      }
      endpoint.reply(callId, undefined);
    } catch (error) {
      endpoint.fail(callId, error);
    } finally {
      // Left early (an item that could not be sent on): the generator is stopped.
      if (!ended) void stream.return().catch(() => {});
      byCall.delete(callId);
      if (byCall.size === 0) this.streams.delete(endpoint);
    }
  }

  unsendable(endpoint: Endpoint, callId: number): void {
    void this.streams.get(endpoint)?.get(callId)?.stream.return();
  }

  control(message: ControlMessage, endpoint: Endpoint): void {
    if (message[0] === Op.StreamCredit) {
      const forwarded = this.streams.get(endpoint)?.get(message[1]);
      if (forwarded === undefined) return;
      forwarded.credit += message[2];
      const wake = forwarded.wake;
      forwarded.wake = undefined;
      wake?.();
    } else if (message[0] === Op.Kill) {
      void this.ref.kill();
    } else if (message[0] === Op.Terminate) {
      void this.ref.terminate();
    } else if (message[0] === Op.Cancel) {
      const byCall = this.calls.get(endpoint);
      const streams = this.streams.get(endpoint);
      for (let i = 1; i < message.length; i++) {
        const signed = message[i] as number;
        const forwarded = streams?.get(Math.abs(signed));
        if (forwarded !== undefined) {
          void forwarded.stream.return();
          // A stream waiting for credit goes on to its end.
          forwarded.credit = Number.POSITIVE_INFINITY;
          forwarded.wake?.();
        }
        byCall
          ?.get(Math.abs(signed))
          ?.cancel(
            (call) =>
              new CancelledError(
                `call '${call.method}' on actor ${this.ref.info.name} was cancelled.`,
                this.ref.info.name,
                call.method,
              ),
            { recursive: signed > 0 },
          );
      }
    }
  }
}

/** A forwarded stream, what its consumer may still be sent, and the wait for more. */
interface Forwarded {
  readonly stream: RemoteStream;
  credit: number;
  wake: (() => void) | undefined;
}
