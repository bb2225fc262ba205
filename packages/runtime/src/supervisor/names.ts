import {
  isMainThread,
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
} from 'node:worker_threads';
import { describeRef, reviveRef } from '../caller/handle.js';
import type { ActorRef } from '../caller/ref.js';
import { TroupeError } from '../errors.js';
import {
  type HandleDescriptor,
  type RegistryAnswer,
  RegistryOp,
  type RegistryRequest,
} from '../wire/protocol.js';

/**
 * Named actors, one registry per process: it lives in the main thread, and workers reach it
 * through a port of their own. A worker's request blocks its thread until the answer (as a
 * blocking call would: `Atomics.wait`, then `receiveMessageOnPort`), so `spawn` and `getActor`
 * stay synchronous everywhere, as in Ray.
 */

/** How long a worker waits for the main thread to answer (ms). */
const ANSWER_WITHIN_MS = 10_000;

const DEFAULT_NAMESPACE = 'default';

/** The main thread's registry: key → the actor's ref in this thread. */
const named = new Map<string, ActorRef>();

/**
 * The registry's key for `name` in `namespace`: `namespace/name`, with any `/` in the namespace
 * escaped, so that no two pairs share a key (`a/b` + `c` and `a` + `b/c` do not). Throws a
 * `TypeError` naming the option for a name or namespace that is not a non-empty string; `where`
 * says what was called, for the message.
 */
export function nameKey(name: unknown, namespace: unknown, where: string): string {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`${where}: name must be a non-empty string, not ${describe(name)}.`);
  }
  if (namespace === undefined) namespace = DEFAULT_NAMESPACE;
  if (typeof namespace !== 'string' || namespace === '') {
    throw new TypeError(
      `${where}: namespace must be a non-empty string (or left out for '${DEFAULT_NAMESPACE}'), ` +
        `not ${describe(namespace)}.`,
    );
  }
  return `${namespace.replaceAll('%', '%25').replaceAll('/', '%2F')}/${name}`;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `''` : `${typeof value} ${String(value)}`;
}

/** This worker's port to the registry (in the main thread), set by the worker's host. */
let registryPort: MessagePort | undefined;

export function setRegistryPort(port: MessagePort): void {
  registryPort = port;
}

/** Main thread: answers one worker port's requests. */
function serve(port: MessagePort): void {
  port.on('message', (message: RegistryRequest) => {
    if (message[0] === RegistryOp.Connect) {
      serve(message[1]);
      return;
    }
    if (message[0] === RegistryOp.Unregister) {
      if (named.get(message[1])?.info.actorId === message[2]) named.delete(message[1]);
      return;
    }
    const [op, key, payload, flag] = message;
    let answer: RegistryAnswer;
    const transfer: MessagePort[] = [];
    if (op === RegistryOp.Register) {
      if (named.has(key)) answer = false;
      else {
        const conn = reviveRef(payload);
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
function ask(
  op: RegistryOp.Register | RegistryOp.Lookup,
  key: string,
  payload: HandleDescriptor | undefined,
  transfer: MessagePort[],
): RegistryAnswer | undefined {
  const port = registryPort;
  if (!port) throw new TroupeError('This worker has no port to the actor name registry.');
  const flag = new Int32Array(new SharedArrayBuffer(4));
  port.postMessage([op, key, payload, flag] as RegistryRequest, transfer);
  if (Atomics.wait(flag, 0, 0, ANSWER_WITHIN_MS) === 'timed-out') {
    throw new TroupeError(
      `The main thread did not answer a name lookup for '${key}' within ${ANSWER_WITHIN_MS} ms ` +
        '(is it blocked?).',
    );
  }
  return receiveMessageOnPort(port)?.message as RegistryAnswer | undefined;
}

/** A port to the registry for a new worker. */
export function registryPortForWorker(): MessagePort {
  const { port1, port2 } = new MessageChannel();
  if (isMainThread) serve(port1);
  else registryPort?.postMessage([RegistryOp.Connect, port1] satisfies RegistryRequest, [port1]);
  return port2;
}

/**
 * Where named actors are registered and looked up: by default the process's registry (in the main
 * thread, asked over a port from workers); a cluster puts a shared directory in its place.
 */
export interface NameDirectory {
  /**
   * The live actor registered under `key` (`namespace/name`, a `/` in the namespace escaped as
   * `%2F`), as a ref usable here.
   */
  lookup(key: string): ActorRef | undefined;
  /** Registers `ref` under `key`; false if taken. The name is freed once `exited` settles. */
  register(key: string, ref: ActorRef, exited: Promise<void>): boolean;
}

let directory: NameDirectory | undefined;

/** Names are registered and looked up in `next` from now on; `undefined` restores the process's. */
export function useNameDirectory(next: NameDirectory | undefined): void {
  directory = next;
}

/** The live actor registered under `key`, as a ref usable in this thread. */
export function lookupName(key: string): ActorRef | undefined {
  if (directory) return directory.lookup(key);
  if (isMainThread) return named.get(key);
  const descriptor = ask(RegistryOp.Lookup, key, undefined, []) as HandleDescriptor | null;
  return descriptor ? reviveRef(descriptor) : undefined;
}

/**
 * Registers a new actor under `key`; false if the name is taken. The name is freed when the
 * actor ends (`exited`).
 */
export function registerName(key: string, ref: ActorRef, exited: Promise<void>): boolean {
  if (directory) return directory.register(key, ref, exited);
  if (isMainThread) {
    if (named.has(key)) return false;
    named.set(key, ref);
    exited.then(() => {
      if (named.get(key) === ref) named.delete(key);
    });
    return true;
  }
  const descriptor = describeRef(ref);
  if (ask(RegistryOp.Register, key, descriptor, [descriptor.port]) !== true) return false;
  // The main thread cannot see this actor end unless its link closes, which a link through this
  // thread (a threaded or restartable actor) does not: say so when it ends.
  exited.then(() => {
    registryPort?.postMessage([
      RegistryOp.Unregister,
      key,
      ref.info.actorId,
    ] satisfies RegistryRequest);
  });
  return true;
}
