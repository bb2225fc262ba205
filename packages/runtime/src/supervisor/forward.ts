import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { ActorRef } from '../caller/ref.js';
import { CancelledError } from '../errors.js';
import { type CallTarget, Endpoint } from '../wire/endpoint.js';
import { Op, READY_METHOD } from '../wire/protocol.js';

/**
 * Serves calls from handles in other threads by passing them to an actor's ref in this thread:
 * a threaded actor's pool, or an actor that restarts, whose handles must outlive its workers.
 */
export class ForwardingTarget implements CallTarget {
  /** Calls in progress, by endpoint and call id, for `Op.Cancel`. */
  private readonly calls = new Map<Endpoint, Map<number, Promise<unknown>>>();

  constructor(private readonly ref: ActorRef) {}

  /** A new port whose calls this thread forwards; it never holds the thread open. */
  connect(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    new Endpoint(port1, this, false);
    return port2;
  }

  submit(endpoint: Endpoint, callId: number, target: number | number[], args: unknown[]): void {
    const methodId = typeof target === 'number' ? target : target[0];
    if (methodId === READY_METHOD) {
      this.ref.ready().then(
        () => endpoint.reply(callId, undefined),
        (error) => endpoint.fail(callId, error),
      );
      return;
    }
    if (this.ref.streamMethods.includes(methodId)) {
      void this.forwardStream(endpoint, callId, methodId, args);
      return;
    }
    const call = this.ref.call(methodId, args, typeof target === 'number' ? undefined : target[1]);
    let byCall = this.calls.get(endpoint);
    if (!byCall) {
      byCall = new Map();
      this.calls.set(endpoint, byCall);
    }
    byCall.set(callId, call);
    const done = () => byCall.delete(callId);
    call.then(
      (value) => {
        done();
        endpoint.reply(callId, value);
      },
      (error) => {
        done();
        endpoint.fail(callId, error);
      },
    );
  }

  /** Items pass through as they come; the consumer's window applies on this side's stream. */
  private async forwardStream(
    endpoint: Endpoint,
    callId: number,
    methodId: number,
    args: unknown[],
  ): Promise<void> {
    try {
      for await (const item of this.ref.stream(methodId, args)) endpoint.yield(callId, item);
      endpoint.reply(callId, undefined);
    } catch (error) {
      endpoint.fail(callId, error);
    }
  }

  control(message: unknown[], endpoint: Endpoint): void {
    if (message[0] === Op.Kill) {
      void this.ref.kill();
    } else if (message[0] === Op.Cancel) {
      const call = this.calls.get(endpoint)?.get(message[1] as number);
      if (call) {
        this.ref.cancelCall(
          call,
          (methodId) =>
            new CancelledError(
              `call '${this.ref.methods[methodId]}' on actor ${this.ref.name} was cancelled.`,
              this.ref.name,
              this.ref.methods[methodId] ?? '',
            ),
          false,
        );
      }
    }
  }
}
