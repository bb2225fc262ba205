/**
 * Type-level tests of ActorHandle<T>, checked by `tsc -b` (part of `npm test`): each
 * `@ts-expect-error` line must fail to compile, or the build fails.
 */
import { type ActorHandle, type exitActor, spawn } from '@troupe/runtime';
import type { Ticker } from '../fixtures/dist/concurrency.js';
import { Counter } from '../fixtures/dist/counter.js';
import type { Gate } from '../fixtures/dist/gate.js';
import type { Counting } from '../fixtures/dist/streams.js';

type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

declare const counter: ActorHandle<Counter>;
declare const gate: ActorHandle<Gate>;

// Methods return promises of their awaited results.
assertType<Equal<ReturnType<typeof counter.add>, Promise<number>>>();
assertType<Equal<ReturnType<typeof counter.track>, Promise<number>>>();
assertType<Equal<ReturnType<typeof gate.report>, Promise<{ log: string[]; peak: number }>>>();
assertType<Equal<Parameters<typeof counter.add>, [by: number | PromiseLike<number>]>>();
assertType<Equal<ReturnType<typeof counter.ready>, Promise<void>>>();

// @ts-expect-error a wrong argument type is a type error
void counter.add('one');
// @ts-expect-error a missing argument is a type error
void counter.add();
// @ts-expect-error fields are not part of a handle
void counter.order;
// @ts-expect-error private members are not part of a handle
void counter.n;
// @ts-expect-error a handle is not thenable
void counter.then();

// An argument may be a promise of its type, such as another call's result (README: "Result
// references"): the runtime awaits it and sends the call with its value.
void counter.add(counter.add(1));
void counter.add(Promise.resolve(2));
void counter.add.options({ timeoutMs: 100 })(counter.add(1));
// @ts-expect-error a promise of the wrong type is a type error
void counter.add(Promise.resolve('two'));
// @ts-expect-error so is another call's result of the wrong type
void counter.add(gate.report());

// spawn checks constructor arguments against the class.
spawn(Counter, { args: [1] });
// @ts-expect-error a wrong constructor argument type is a type error
spawn(Counter, { args: ['1'] });

// Per-call options keep the method's types.
assertType<Equal<ReturnType<ReturnType<typeof counter.add.options>>, Promise<number>>>();
// @ts-expect-error an option that does not exist is a type error
counter.add.options({ retries: 3 });

// A streaming method (an async generator) returns its items as an async iterable.
declare const ticker: ActorHandle<Ticker>;
assertType<Equal<ReturnType<typeof ticker.count>, AsyncIterableIterator<number>>>();

// A sync generator method streams too; its yielded promises arrive as their values.
declare const counting: ActorHandle<Counting>;
assertType<Equal<ReturnType<typeof counting.upTo>, AsyncIterableIterator<number>>>();
assertType<Equal<ReturnType<typeof counting.promised>, AsyncIterableIterator<string>>>();

// exitActor() never returns: code after it is unreachable, and a method may end with it.
assertType<Equal<ReturnType<typeof exitActor>, never>>();

// Issue 13: what a handle offers, and what spawn asks for.
declare class NeedsStart {
  constructor(start: number);
  add(by: number): number;
  fail(): never;
  // biome-ignore lint/suspicious/noThenProperty: the handle must drop it.
  then(): void;
}
declare class NoArgs {
  ping(): string;
}
declare const needs: ActorHandle<NeedsStart>;
// A `never`-returning method settles once: it is not a stream.
assertType<Equal<ReturnType<typeof needs.fail>, Promise<never>>>();
// `then` is never offered (completions would list it, and a handle must not be thenable).
assertType<Equal<'then' extends keyof typeof needs ? true : false, false>>();
// @ts-expect-error spawn without the constructor's required argument
void (() => spawn(NeedsStart));
// @ts-expect-error options without args, when the constructor requires them
void (() => spawn(NeedsStart, { name: 'n' }));
void (() => spawn(NeedsStart, { args: [1] }));
void (() => spawn(NoArgs));
void (() => spawn(NoArgs, { name: 'n' }));
