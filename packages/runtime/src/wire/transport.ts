import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import type { Message, Transferable } from './protocol.js';

/**
 * One side of a link between a caller and an actor's host: everything the caller side (calls,
 * retries, streams, `wait`, ActorPool) and the serving side (`Endpoint`) exchange goes through
 * one of these, as the typed messages of `protocol.ts`. A MessagePort is the first
 * implementation; a network transport carries the same messages between machines.
 *
 * What an implementation promises: messages arrive whole, once, and in the order they were
 * posted; `post` throws (a `DataCloneError`) for a message it cannot carry, and then sends
 * nothing of it; `onClose` runs once when the other side is gone.
 */
export interface Transport {
  /**
   * False where the other side is in another process: no shared memory crosses the link (call
   * state cells, shared primitives), and cancels travel as messages. @default true
   */
  readonly sharesMemory?: boolean;
  /** Sends one message after every message posted before it; `transfers` are moved, not copied. */
  post(message: Message, transfers?: readonly Transferable[]): void;
  /**
   * Where messages from the other side go, and what to do when it is gone. Set once; the link
   * then does not hold its thread until `hold(true)`.
   */
  listen(onMessage: (message: Message) => void, onClose?: () => void): void;
  /**
   * Whether this link keeps its thread (and so the process) alive: a caller holds it while calls
   * are pending, so that a script with calls in flight does not exit, and an idle one does.
   */
  hold(on: boolean): void;
  /** Ends the link; the other side's `onClose` runs. */
  close(): void;
  /**
   * Delivers at once, to `onMessage`, the messages that have arrived and wait to be delivered:
   * the other side is gone, and what it sent before it went must count (results of calls that
   * finished before a crash). Optional: a link that delivers in order before `onClose` needs none.
   */
  drain?(): void;
  /**
   * False where this link knows that the message carrying call `callId` reached no host (a
   * network's "no responders"): the call did not run. Optional: without it, or true, a call sent
   * and not answered may have run.
   */
  reached?(callId: number): boolean;
}

/** The transport over a MessagePort between two threads of one process. */
export class PortTransport implements Transport {
  private onMessage: ((message: Message) => void) | undefined;

  constructor(readonly port: MessagePort) {}

  post(message: Message, transfers?: readonly Transferable[]): void {
    this.port.postMessage(message, transfers as Transferable[] | undefined);
  }

  listen(onMessage: (message: Message) => void, onClose?: () => void): void {
    // Listening refs the port: a link starts out not holding its thread, until `hold(true)`.
    this.onMessage = onMessage;
    this.port.on('message', onMessage);
    if (onClose) this.port.on('close', onClose);
    this.port.unref();
  }

  hold(on: boolean): void {
    if (on) this.port.ref();
    else this.port.unref();
  }

  close(): void {
    this.port.close();
  }

  drain(): void {
    const onMessage = this.onMessage;
    if (onMessage === undefined) return;
    for (
      let m = receiveMessageOnPort(this.port);
      m !== undefined;
      m = receiveMessageOnPort(this.port)
    ) {
      onMessage(m.message as Message);
    }
  }
}
