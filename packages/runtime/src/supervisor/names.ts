import {
  isMainThread,
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
} from 'node:worker_threads';
import { PortConnection } from '../caller/connection.js';
import { describeRef } from '../caller/handle.js';
import type { ActorRef } from '../caller/ref.js';
import { TroupeError } from '../errors.js';
import { ownRegistryPort } from '../host/call-context.js';
import type { HandleDescriptor } from '../wire/protocol.js';

/**
 * Named actors, one registry per process: it lives in the main thread, and workers reach it
 * through a port of their own. A worker's request blocks its thread until the answer (as a
 * blocking call would: `Atomics.wait`, then `receiveMessageOnPort`), so `spawn` and `getActor`
 * stay synchronous everywhere, as in Ray.
 */

enum Request {
  Register = 1,
  Lookup = 2,
  /** `[Request.Connect, port]`: serve another worker's port. */
  Connect = 3,
}

/** How long a worker waits for the main thread to answer (ms). */
const ANSWER_WITHIN_MS = 10_000;

const DEFAULT_NAMESPACE = 'default';

/** The main thread's registry: key → the actor's ref in this thread. */
const named = new Map<string, ActorRef>();

export function nameKey(name: string, namespace = DEFAULT_NAMESPACE): string {
  return `${namespace}/${name}`;
}

/** Main thread: answers one worker port's requests. */
function serve(port: MessagePort): void {
  port.on('message', (message: unknown[]) => {
    if (message[0] === Request.Connect) {
      serve(message[1] as MessagePort);
      return;
    }
    const [op, key, payload, flag] = message as [Request, string, unknown, Int32Array];
    let answer: unknown;
    const transfer: MessagePort[] = [];
    if (op === Request.Register) {
      if (named.has(key)) answer = false;
      else {
        const descriptor = payload as HandleDescriptor;
        const conn = new PortConnection(descriptor.port, descriptor.info);
        conn.onDeath = () => {
          if (named.get(key) === conn) named.delete(key);
        };
        named.set(key, conn);
        answer = true;
      }
    } else {
      const ref = named.get(key);
      const descriptor = ref ? describeRef(ref) : null;
      if (descriptor) transfer.push(descriptor.port);
      answer = descriptor;
    }
    port.postMessage(answer, transfer);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
  port.unref();
}

/** A worker: asks the main thread, blocking this thread until it answers. */
function ask(op: Request, key: string, payload: unknown, transfer: MessagePort[]): unknown {
  const port = ownRegistryPort();
  if (!port) throw new TroupeError('This worker has no port to the actor name registry.');
  const flag = new Int32Array(new SharedArrayBuffer(4));
  port.postMessage([op, key, payload, flag], transfer);
  if (Atomics.wait(flag, 0, 0, ANSWER_WITHIN_MS) === 'timed-out') {
    throw new TroupeError(
      `The main thread did not answer a name lookup for '${key}' within ${ANSWER_WITHIN_MS} ms ` +
        '(is it blocked?).',
    );
  }
  return receiveMessageOnPort(port)?.message;
}

/** A port to the registry for a new worker. */
export function registryPortForWorker(): MessagePort {
  const { port1, port2 } = new MessageChannel();
  if (isMainThread) serve(port1);
  else ownRegistryPort()?.postMessage([Request.Connect, port1], [port1]);
  return port2;
}

/** The live actor registered under `key`, as a ref usable in this thread. */
export function lookupName(key: string): ActorRef | undefined {
  if (isMainThread) return named.get(key);
  const descriptor = ask(Request.Lookup, key, undefined, []) as HandleDescriptor | null;
  return descriptor ? new PortConnection(descriptor.port, descriptor.info) : undefined;
}

/**
 * Registers a new actor under `key`; false if the name is taken. The name is freed when the
 * actor ends (`exited`).
 */
export function registerName(key: string, ref: ActorRef, exited: Promise<void>): boolean {
  if (isMainThread) {
    if (named.has(key)) return false;
    named.set(key, ref);
    exited.then(() => {
      if (named.get(key) === ref) named.delete(key);
    });
    return true;
  }
  const descriptor = describeRef(ref);
  return ask(Request.Register, key, descriptor, [descriptor.port]) === true;
}
