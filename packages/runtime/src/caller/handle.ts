import { inspect } from 'node:util';
import { UnknownMethodError } from '../errors.js';
import type { CallOptions } from '../options.js';
import type { ValueHandler } from '../wire/codec.js';
import type { HandleDescriptor } from '../wire/protocol.js';
import { PortTransport } from '../wire/transport.js';
import { startPlainCall } from './call.js';
import { checkCallOptions, invoke, mustHold, needsInvoke } from './calls.js';
import { Connection } from './connection.js';
import { handleMade } from './lineage.js';
import type { ActorRef } from './ref.js';
import { openStream } from './stream.js';

const refs = new WeakMap<object, ActorRef>();

/** Names a handle never answers with a function, so that libraries probing objects stay sane. */
const NOT_METHODS = new Set(['then', 'toJSON', 'asymmetricMatch', 'nodeType', '$$typeof']);

/**
 * Sits at the end of every handle's prototype chain: a handle's own methods are found before it,
 * so it only sees names the actor lacks, and answers them with a call that rejects clearly.
 */
const unknownMethods = new Proxy(Object.create(Object.prototype) as object, {
  get(target, key, receiver) {
    if (typeof key === 'symbol' || key in target || NOT_METHODS.has(key)) {
      return Reflect.get(target, key, receiver);
    }
    const ref = refs.get(receiver);
    if (ref === undefined) return undefined;
    return () =>
      Promise.reject(
        new UnknownMethodError(
          `Actor ${ref.info.name} has no method '${key}'. Its methods are: ` +
            `${ref.info.methods.join(', ') || '(none)'}.`,
          ref.info.name,
          key,
        ),
      );
  },
});

/** The function a handle exposes for one method: a call, with `.options()` for per-call options. */
function methodOf(ref: ActorRef, id: number) {
  const { info } = ref;
  if (info.streamMethods.includes(id)) {
    return Object.assign((...args: unknown[]) => openStream(ref, id, args), {
      options: () => {
        throw new TypeError(
          `Actor ${info.name}, method '${info.methods[id]}': a streaming method takes no per-call ` +
            'options; break out of its loop to stop it.',
        );
      },
    });
  }
  const call = needsInvoke(ref, id)
    ? (...args: unknown[]) => invoke(ref, id, args)
    : (...args: unknown[]) =>
        mustHold(ref, args) ? invoke(ref, id, args) : startPlainCall(ref, id, args);
  return Object.assign(call, {
    options: (options: CallOptions) => {
      checkCallOptions(ref, id, options);
      return (...args: unknown[]) => invoke(ref, id, args, options);
    },
  });
}

class Handle {
  constructor(ref: ActorRef) {
    refs.set(this, ref);
    const methods = ref.info.methods;
    for (let id = 0; id < methods.length; id++) {
      // One closure per method, so `const { incr } = handle` works too.
      Object.defineProperty(this, methods[id] as string, {
        value: methodOf(ref, id),
        enumerable: true,
      });
    }
  }

  ready(): Promise<void> {
    return (refs.get(this) as ActorRef).ready();
  }

  [inspect.custom](): string {
    const ref = refs.get(this) as ActorRef;
    return `ActorHandle<${ref.info.name}> { ${ref.info.kind}: ${ref.info.methods.join(', ')} }`;
  }

  toString(): string {
    return `ActorHandle<${(refs.get(this) as ActorRef).info.name}>`;
  }
}
Object.setPrototypeOf(Handle.prototype, unknownMethods);

export function createHandle(ref: ActorRef): object {
  handleMade();
  return new Handle(ref);
}

/** The actor behind a handle, or undefined for anything else. */
export function refOf(handle: unknown): ActorRef | undefined {
  return typeof handle === 'object' && handle !== null ? refs.get(handle) : undefined;
}

/** A handle's form for another thread: its actor's info and a new port to the actor. */
export function describeRef(ref: ActorRef): HandleDescriptor {
  // A threaded or restartable actor is reached through its owner, which retries each call within
  // its budget: the other thread must not retry the owner's answer again (one budget a call).
  const forwarded = ref.resends === true || ref.info.kind === 'threaded';
  const info = forwarded && ref.info.retries.length > 0 ? { ...ref.info, retries: [] } : ref.info;
  return { $troupe: 'handle', info, port: ref.connect() };
}

/** A handle in this thread for a handle that crossed from another. */
export function reviveRef(descriptor: HandleDescriptor): Connection {
  return new Connection(new PortTransport(descriptor.port), descriptor.info);
}

/**
 * The connection this thread keeps to each actor whose handles crossed to it. Every handle
 * passed comes with a new port; a second one to the same actor is closed at once and the first
 * connection serves both, so that passing a handle again and again costs no channel that lives.
 */
const revived = new Map<string, Connection>();
let sweepAt = 64;

function reviveHandle(descriptor: HandleDescriptor): object {
  const known = revived.get(descriptor.info.actorId);
  if (known !== undefined && !known.isDead) {
    descriptor.port.close();
    return createHandle(known);
  }
  const conn = reviveRef(descriptor);
  revived.set(descriptor.info.actorId, conn);
  if (revived.size >= sweepAt) {
    for (const [id, c] of revived) if (c.isDead) revived.delete(id);
    sweepAt = Math.max(64, revived.size * 2);
  }
  return createHandle(conn);
}

/** How handles cross threads: registered with the value codec by `registerBuiltins()`. */
export const handleValues: ValueHandler<object, HandleDescriptor> = {
  tag: 'handle',
  canHandle: (value): value is object => refs.has(value),
  describe(value, transfers) {
    const descriptor = describeRef(refs.get(value) as ActorRef);
    transfers.push(descriptor.port);
    return descriptor;
  },
  isDescriptor: (value): value is HandleDescriptor =>
    (value as Partial<HandleDescriptor>).$troupe === 'handle',
  revive: reviveHandle,
};
