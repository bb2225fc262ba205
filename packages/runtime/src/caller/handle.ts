import { inspect } from 'node:util';
import { UnknownMethodError } from '../errors.js';
import type { CallOptions } from '../options.js';
import { installHandleCodec } from '../wire/codec.js';
import type { HandleDescriptor } from '../wire/protocol.js';
import { invoke, mustHold, needsInvoke } from './calls.js';
import { PortConnection } from './connection.js';
import type { ActorRef } from './ref.js';

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
          `Actor ${ref.name} has no method '${key}'. Its methods are: ` +
            `${ref.methods.join(', ') || '(none)'}.`,
          ref.name,
          key,
        ),
      );
  },
});

/** The function a handle exposes for one method: a call, with `.options()` for per-call options. */
function methodOf(ref: ActorRef, id: number) {
  if (ref.streamMethods.includes(id)) {
    return Object.assign((...args: unknown[]) => ref.stream(id, args), {
      options: () => {
        throw new TypeError(
          `Actor ${ref.name}, method '${ref.methods[id]}': a streaming method takes no per-call ` +
            'options; break out of its loop to stop it.',
        );
      },
    });
  }
  const call = needsInvoke(ref, id)
    ? (...args: unknown[]) => invoke(ref, id, args)
    : (...args: unknown[]) => (mustHold(ref, args) ? invoke(ref, id, args) : ref.call(id, args));
  return Object.assign(call, {
    options:
      (options: CallOptions) =>
      (...args: unknown[]) =>
        invoke(ref, id, args, options),
  });
}

class Handle {
  constructor(ref: ActorRef) {
    refs.set(this, ref);
    const methods = ref.methods;
    for (let id = 0; id < methods.length; id++) {
      // One closure per method, so `const { incr } = handle` works too.
      Object.defineProperty(this, methods[id], { value: methodOf(ref, id), enumerable: true });
    }
  }

  ready(): Promise<void> {
    return (refs.get(this) as ActorRef).ready();
  }

  [inspect.custom](): string {
    const ref = refs.get(this) as ActorRef;
    return `ActorHandle<${ref.name}> { ${ref.kind}: ${ref.methods.join(', ')} }`;
  }

  toString(): string {
    return `ActorHandle<${(refs.get(this) as ActorRef).name}>`;
  }
}
Object.setPrototypeOf(Handle.prototype, unknownMethods);

export function createHandle(ref: ActorRef): object {
  return new Handle(ref);
}

/** The actor behind a handle, or undefined for anything else. */
export function refOf(handle: unknown): ActorRef | undefined {
  return typeof handle === 'object' && handle !== null ? refs.get(handle) : undefined;
}

/** A handle's form for another thread: its actor's info and a new port to the actor. */
export function describeRef(ref: ActorRef): HandleDescriptor {
  return {
    $troupe: 'handle',
    info: {
      actorId: ref.actorId,
      name: ref.name,
      kind: ref.kind,
      methods: ref.methods,
      moduleUrl: ref.moduleUrl,
      groups: ref.groups,
      methodTimeouts: ref.methodTimeouts,
      retries: ref.retries,
      streamMethods: ref.streamMethods,
      maxPendingCalls: ref.maxPendingCalls,
    },
    port: ref.connect(),
  };
}

installHandleCodec({
  isHandle: (value) => refs.has(value),
  describe(value) {
    const ref = refs.get(value);
    return ref === undefined ? undefined : describeRef(ref);
  },
  revive: (descriptor) => createHandle(new PortConnection(descriptor.port, descriptor.info)),
});
