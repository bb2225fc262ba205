import type { ActorClass, CallOptions } from './options.js';

export type { ActorClass };

/** Keys of `T` whose values are methods. */
export type MethodKeys<T> = {
  // biome-ignore lint/suspicious/noExplicitAny: any function signature qualifies.
  [K in keyof T]: T[K] extends (...args: any[]) => any ? K : never;
}[keyof T];

/**
 * The parameters of a handle's method: each may be the parameter's type or a promise of it (such
 * as another call's result), which the runtime awaits before it sends the call. Labels and
 * optional parameters are kept (a mapped tuple type).
 */
export type RemoteArgs<A extends readonly unknown[]> = { [I in keyof A]: A[I] | PromiseLike<A[I]> };

/**
 * A handle's method for a method `F` returning `R`: it takes the same arguments (each may also be
 * a promise of one, such as another call's result) and returns a promise of `R`'s awaited
 * value; `.options({ … })` gives the same call with per-call options. A generator method (sync
 * or async) streams: it returns an async iterable of the items the actor yields.
 */
export type RemoteMethod<F> = F extends (...args: infer A) => infer R
  ? [R] extends [never]
    ? Remote<A, R>
    : [R] extends [AsyncGenerator<infer Y>]
      ? /** A streaming method: its items, as the actor yields them. */
        (...args: A) => AsyncIterableIterator<Y>
      : [R] extends [Generator<infer Y>]
        ? /** A streaming method (a sync generator): its items, as the actor yields them. */
          (...args: A) => AsyncIterableIterator<Awaited<Y>>
        : Remote<A, R>
  : never;

/** A call that settles once (a `never`-returning method too: it is not a stream). */
type Remote<A extends unknown[], R> = ((...args: RemoteArgs<A>) => Promise<Awaited<R>>) & {
  /** The same call with per-call options: `handle.m.options({ timeoutMs: 100 })(...args)`. */
  options(options: CallOptions): (...args: RemoteArgs<A>) => Promise<Awaited<R>>;
};

/**
 * A handle to an actor of class `T`: every public method of `T`, taking the same arguments and
 * returning a promise of the method's awaited result. It maps `T`'s own keys (a homomorphic mapped
 * type), so hover, go-to-definition and JSDoc lead to the actor's methods. Fields are not part of
 * a handle; neither is `then` (a handle is not thenable, so an async function can return one).
 *
 * @example
 * const counter: ActorHandle<Counter> = spawn(Counter, { args: [0] });
 * const n: number = await counter.incr(1);
 */
export type ActorHandle<T> = {
  readonly [K in keyof T as K extends 'then'
    ? never
    : K extends MethodKeys<T>
      ? K
      : never]: RemoteMethod<T[K]>;
} & {
  /** Resolves once the actor is constructed; rejects with the constructor's error if it threw. */
  ready(): Promise<void>;
};
