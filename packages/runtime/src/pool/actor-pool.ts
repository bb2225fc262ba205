import { refOf } from '../caller/handle.js';
import { ActorDiedError, ActorPoolError, ActorPoolTimeoutError, RemoteError } from '../errors.js';
import { timeoutOf } from '../options.js';

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** One value given to the pool: the call made for it, the actor running it and how it ended. */
class Task<A> {
  actor: A | undefined;
  outcome: Outcome | undefined;
  private readonly watchers: (() => void)[] = [];

  constructor(
    readonly index: number,
    readonly run: (actor: A) => unknown,
  ) {}

  settle(outcome: Outcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    for (const watcher of this.watchers.splice(0)) watcher();
  }

  onSettled(watcher: () => void): void {
    if (this.outcome) watcher();
    else this.watchers.push(watcher);
  }
}

/** Work waiting for a free actor: one `submit`, or a `map` reading its values as actors free up. */
interface Source<A> {
  /** The next task to start, or undefined once it has none left (it is then `done`). */
  take(): Task<A> | undefined;
  /** True once it will never offer another task. */
  readonly done: boolean;
  /** The pool has no actor left: end with `error`. */
  fail(error: Error): void;
}

class SubmitSource<A> implements Source<A> {
  done = false;

  constructor(private readonly task: Task<A>) {}

  take(): Task<A> | undefined {
    if (this.done) return undefined;
    this.done = true;
    return this.task;
  }

  fail(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.task.settle({ ok: false, error });
  }
}

/**
 * A `map`'s values, read one at a time as actors free up (from the call of `map` on, whether or
 * not results are read), so that a consumer that stops early leaves nothing queued: values not
 * read by then are never read.
 */
class MapSource<A, V> implements Source<A> {
  done = false;
  failed = false;
  failure: unknown;
  /** Started tasks whose results the consumer has not read yet, in input order. */
  readonly tasks: Task<A>[] = [];
  private count = 0;
  private wake: (() => void) | undefined;

  constructor(
    private readonly values: Iterator<V>,
    private readonly fn: (actor: A, value: V) => unknown,
  ) {}

  take(): Task<A> | undefined {
    if (this.done) return undefined;
    let step: IteratorResult<V>;
    try {
      step = this.values.next();
    } catch (error) {
      this.end(true, error);
      return undefined;
    }
    if (step.done) {
      this.end(false);
      return undefined;
    }
    const value = step.value;
    const task = new Task<A>(this.count++, (actor) => this.fn(actor, value));
    task.onSettled(() => this.notify());
    this.tasks.push(task);
    return task;
  }

  fail(error: Error): void {
    if (!this.done) this.end(true, error);
  }

  /** The consumer stopped: read no more values. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.values.return?.();
  }

  /** Resolves once a task settles or the values end. */
  changed(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private end(failed: boolean, failure?: unknown): void {
    this.done = true;
    this.failed = failed;
    this.failure = failure;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

function nameOf(actor: object | undefined): string {
  return refOf(actor)?.info.name ?? 'an actor';
}

function unwrap(outcome: Outcome): unknown {
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}

/** A checked `timeoutMs`: a `TypeError` at once if out of range; undefined for no limit. */
function checkTimeout(method: string, timeoutMs: number | undefined): number | undefined {
  return timeoutOf(`ActorPool.${method}(timeoutMs)`, timeoutMs);
}

/**
 * Spreads calls over a fixed set of actors, at most one call in flight per actor, as Ray's
 * `ray.util.ActorPool` does. `fn(actor, value)` makes the call for one value (usually one method
 * call on `actor`) and returns its promise; the actor is busy until that promise settles.
 *
 * Values submitted while every actor is busy wait, first in first out, and start as actors free
 * up. A method that throws delivers its error as that value's result and the actor stays in the
 * pool; an `ActorDiedError` from an actor's own call also removes the actor, and the waiting
 * values go to the others. Once the pool has no actor at all, waiting and later values fail with
 * `ActorPoolError` until `push()` adds one.
 *
 * Unlike Ray, an actor is free again as soon as its call settles, not when its result is read,
 * and `map` / `mapUnordered` keep their results apart from `submit`'s: they neither take nor drop
 * results waiting for `getNext`.
 *
 * @typeParam A The actors' handle type, e.g. `ActorHandle<Doubler>`.
 * @typeParam R What `getNext` / `getNextUnordered` return (the results of `submit`'s calls).
 *
 * @example
 * const pool = new ActorPool([spawn(Doubler), spawn(Doubler)]);
 * for await (const doubled of pool.map((actor, v) => actor.double(v), [1, 2, 3, 4])) {
 *   console.log(doubled); // 2, 4, 6, 8: in input order
 * }
 * pool.submit((actor, v) => actor.double(v), 5);
 * pool.submit((actor, v) => actor.double(v), 6);
 * await pool.getNext(); // 10
 * await pool.getNext(1000); // 12, or ActorPoolTimeoutError after a second
 */
export class ActorPool<A extends object, R = unknown> {
  /** Every actor in the pool, idle or running a call. */
  private readonly members = new Set<A>();
  /** Idle actors, the longest idle first. */
  private readonly idle: A[] = [];
  /** Work waiting for actors, first in first out, from `head` on. */
  private queue: Source<A>[] = [];
  private head = 0;
  /** `submit`'s tasks whose results nobody has taken yet, in submission order. */
  private readonly results: Task<A>[] = [];
  private readonly unorderedWaiters: ((task: Task<A>) => void)[] = [];
  private submitted = 0;
  /** `getNextUnordered` took a result out of order and results remain: `getNext` is refused. */
  private outOfOrder = false;
  private lastDeath: string | undefined;
  private dispatching = false;
  private dispatchAgain = false;

  /** @param actors The pool's actors (handles returned by `spawn`), each at most once. */
  constructor(actors: Iterable<A>) {
    for (const actor of actors) this.push(actor);
  }

  /**
   * Runs `fn(actor, value)` for each value, over the pool's actors, and yields the results in
   * the order of `values`. The work starts when `map` is called, as in Ray: a value goes at once
   * to every idle actor, and the next value to each actor as it frees up, whether or not the
   * results have been read yet. When the loop ends early (`break`, `return` or a throw) no
   * further value is read or started, and the calls already running finish on their own with
   * their results dropped. A call that rejects ends the iteration with its error. Its results
   * are its own: `submit`'s values queued earlier start first, and `getNext` never sees a
   * `map`'s results.
   *
   * @example
   * for await (const doubled of pool.map((actor, v) => actor.double(v), [1, 2, 3])) {}
   */
  map<V, T>(
    fn: (actor: A, value: V) => T,
    values: Iterable<V>,
  ): AsyncGenerator<Awaited<T>, void, undefined> {
    return this.stream(fn, values, true);
  }

  /**
   * Like `map`, but yields each result as soon as its call finishes (completion order), so a slow
   * call does not hold back the others' results.
   */
  mapUnordered<V, T>(
    fn: (actor: A, value: V) => T,
    values: Iterable<V>,
  ): AsyncGenerator<Awaited<T>, void, undefined> {
    return this.stream(fn, values, false);
  }

  /**
   * Runs `fn(actor, value)` on an idle actor now, or as soon as one frees up (waiting values
   * start in submission order). Take the result with `getNext` or `getNextUnordered`: a call
   * that rejects, or that could not run because the pool has no actor left, delivers its error
   * there.
   */
  submit<V>(fn: (actor: A, value: V) => R | PromiseLike<R>, value: V): void {
    const task = new Task<A>(this.submitted++, (actor) => fn(actor, value));
    this.results.push(task);
    task.onSettled(() => this.handOver(task));
    this.enqueue(new SubmitSource(task));
  }

  /**
   * True while a submitted value's result has not been taken by `getNext` or
   * `getNextUnordered`, whether its call is finished, running or waiting for an actor. `map`'s
   * values do not count.
   */
  hasNext(): boolean {
    return this.results.length > 0;
  }

  /**
   * The result of the oldest submitted value not taken yet: resolves with its call's value or
   * rejects with its call's error. With `timeoutMs`, rejects with `ActorPoolTimeoutError` if the
   * call has not finished by then; the call runs on and its result stays next in line.
   *
   * Rejects with `ActorPoolError` when no result is pending, or when `getNextUnordered` has taken
   * results out of order and others remain (use `getNextUnordered` until `hasNext()` is false).
   */
  async getNext(timeoutMs?: number): Promise<R> {
    timeoutMs = checkTimeout('getNext', timeoutMs);
    const task = this.results[0];
    if (task === undefined) {
      throw new ActorPoolError(
        'ActorPool.getNext(): no result is pending (hasNext() is false). submit() a value first.',
      );
    }
    if (this.outOfOrder) {
      throw new ActorPoolError(
        'ActorPool.getNext() cannot follow getNextUnordered() while results remain: ' +
          'getNextUnordered() took results out of submission order, so there is no next one in ' +
          'order. Take the remaining results with getNextUnordered() until hasNext() is false.',
      );
    }
    this.results.shift();
    if (task.outcome === undefined && timeoutMs !== undefined) {
      try {
        await this.settledWithin(task, timeoutMs);
      } catch (error) {
        this.putBack(task);
        throw error;
      }
    }
    await new Promise<void>((resolve) => task.onSettled(resolve));
    return unwrap(task.outcome as Outcome) as R;
  }

  /**
   * The result of whichever submitted call finishes first among those not taken yet (one
   * already finished if any). With `timeoutMs`, rejects with `ActorPoolTimeoutError` if none
   * finishes by then; nothing is lost. Rejects with `ActorPoolError` when no result is pending
   * (or every pending one is awaited by earlier `getNextUnordered` calls).
   */
  async getNextUnordered(timeoutMs?: number): Promise<R> {
    timeoutMs = checkTimeout('getNextUnordered', timeoutMs);
    if (this.results.length <= this.unorderedWaiters.length) {
      throw new ActorPoolError(
        'ActorPool.getNextUnordered(): no result is pending' +
          (this.results.length > 0
            ? ' that an earlier getNextUnordered() is not already waiting for.'
            : ' (hasNext() is false). submit() a value first.'),
      );
    }
    const ready = this.results.findIndex((task) => task.outcome !== undefined);
    const [found] = ready >= 0 ? this.results.splice(ready, 1) : [];
    const task = found ?? (await this.nextSettled(timeoutMs));
    this.outOfOrder = this.results.length > 0;
    return unwrap(task.outcome as Outcome) as R;
  }

  /** True when an actor is idle, so a `submit` now starts at once. */
  hasFree(): boolean {
    return this.idle.length > 0;
  }

  /**
   * Takes the longest-idle actor out of the pool and returns it, or returns null when every
   * actor is busy. `push` puts it back.
   */
  popIdle(): A | null {
    const actor = this.idle.shift();
    if (actor === undefined) return null;
    this.members.delete(actor);
    return actor;
  }

  /**
   * Adds an actor to the pool as idle; a value waiting for an actor starts on it at once. Throws
   * `ActorPoolError` if the actor is already in the pool.
   */
  push(actor: A): void {
    if (this.members.has(actor)) {
      throw new ActorPoolError(
        `ActorPool.push(): ${nameOf(actor)} is already in this pool (idle or running a call). ` +
          'An actor can be in a pool once; popIdle() takes one out.',
      );
    }
    this.members.add(actor);
    this.idle.push(actor);
    this.dispatch();
  }

  /** Starts a `map` now, and returns what reads its results; ending the loop closes it. */
  private stream<V, T>(
    fn: (actor: A, value: V) => T,
    values: Iterable<V>,
    ordered: boolean,
  ): AsyncGenerator<Awaited<T>, void, undefined> {
    const source = new MapSource<A, V>(values[Symbol.iterator](), fn);
    this.enqueue(source);
    const results = this.read<T>(source as MapSource<A, unknown>, ordered);
    // `return()` before the first `next()` never enters the generator's `finally`: close here.
    const finish = results.return.bind(results);
    results.return = (value) => {
      source.close();
      return finish(value);
    };
    return results;
  }

  private async *read<T>(
    source: MapSource<A, unknown>,
    ordered: boolean,
  ): AsyncGenerator<Awaited<T>, void, undefined> {
    try {
      for (;;) {
        const next = ordered
          ? source.tasks[0]?.outcome
            ? 0
            : -1
          : source.tasks.findIndex((task) => task.outcome !== undefined);
        if (next >= 0) {
          const [task] = source.tasks.splice(next, 1) as [Task<A>];
          yield unwrap(task.outcome as Outcome) as Awaited<T>;
        } else if (source.done && source.tasks.length === 0) {
          if (source.failed) throw source.failure;
          return;
        } else {
          await source.changed();
        }
      }
    } finally {
      source.close();
      this.dispatch();
    }
  }

  private enqueue(source: Source<A>): void {
    this.queue.push(source);
    this.dispatch();
  }

  /** Starts waiting work on idle actors, in queue order. */
  private dispatch(): void {
    // `fn` runs inside; if it calls back into the pool, go round again instead of nesting.
    if (this.dispatching) {
      this.dispatchAgain = true;
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.dispatchAgain = false;
        // Only the head of the queue is looked at: each source is passed once, when done, so
        // the cost is linear in the work however much of it waits.
        while (this.idle.length > 0 && this.head < this.queue.length) {
          const source = this.queue[this.head] as Source<A>;
          const task = source.take();
          if (task === undefined) this.head++;
          else this.start(task, this.idle.shift() as A);
        }
        if (this.members.size === 0) {
          const error = this.noActorsError();
          for (let i = this.head; i < this.queue.length; i++) this.queue[i]?.fail(error);
          this.head = this.queue.length;
        }
        if (this.head === this.queue.length) {
          this.queue = [];
          this.head = 0;
        } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
      } while (this.dispatchAgain);
    } finally {
      this.dispatching = false;
    }
  }

  private start(task: Task<A>, actor: A): void {
    task.actor = actor;
    let result: unknown;
    try {
      result = task.run(actor);
    } catch (error) {
      result = Promise.reject(error);
    }
    Promise.resolve(result).then(
      (value) => this.finish(task, actor, { ok: true, value }),
      (error) => this.finish(task, actor, { ok: false, error }),
    );
  }

  private finish(task: Task<A>, actor: A, outcome: Outcome): void {
    if (!outcome.ok && this.diedIn(outcome.error, actor)) {
      this.members.delete(actor);
      this.lastDeath = (outcome.error as Error).message;
    } else if (this.members.has(actor)) {
      this.idle.push(actor);
    }
    task.settle(outcome);
    this.dispatch();
  }

  /**
   * Whether `error` says that `actor` itself is dead: raised here for its own call, not passed on
   * by its method from an actor it called (a `RemoteError`), nor from another actor `fn` called.
   */
  private diedIn(error: unknown, actor: A): boolean {
    if (!(error instanceof ActorDiedError) || error instanceof RemoteError) return false;
    const name = refOf(actor)?.info.name;
    return name === undefined || name === error.actor;
  }

  private noActorsError(): ActorPoolError {
    return new ActorPoolError(
      'ActorPool has no actors left' +
        (this.lastDeath ? ` (the last one died: ${this.lastDeath})` : '') +
        ', so this value was never run. push() a live actor into the pool before submitting more.',
    );
  }

  /** Gives a finished task to the oldest waiting `getNextUnordered`, if any. */
  private handOver(task: Task<A>): void {
    // Looked up only when someone waits: a settle costs O(1) otherwise.
    if (this.unorderedWaiters.length === 0) return;
    const at = this.results.indexOf(task);
    if (at < 0) return;
    const waiter = this.unorderedWaiters.shift() as (task: Task<A>) => void;
    this.results.splice(at, 1);
    waiter(task);
  }

  /** A task `getNext` gave up on goes back to its place in submission order. */
  private putBack(task: Task<A>): void {
    let at = 0;
    while (at < this.results.length && (this.results[at] as Task<A>).index < task.index) at++;
    this.results.splice(at, 0, task);
  }

  private settledWithin(task: Task<A>, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const where = task.actor
          ? `running on ${nameOf(task.actor)}`
          : 'still waiting for a free actor';
        reject(
          new ActorPoolTimeoutError(
            `ActorPool.getNext(${timeoutMs}): submitted call #${task.index} (${where}) did not ` +
              `finish within ${timeoutMs} ms. It runs on and stays next in line: call getNext() ` +
              'again to keep waiting for it.',
            'getNext',
            timeoutMs,
            task.index,
          ),
        );
      }, timeoutMs);
      task.onSettled(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private nextSettled(timeoutMs: number | undefined): Promise<Task<A>> {
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = (task: Task<A>) => {
        clearTimeout(timer);
        resolve(task);
      };
      this.unorderedWaiters.push(waiter);
      if (timeoutMs === undefined) return;
      timer = setTimeout(() => {
        this.unorderedWaiters.splice(this.unorderedWaiters.indexOf(waiter), 1);
        const pending = this.results
          .slice(0, 5)
          .map((t) => `#${t.index} ${t.actor ? `on ${nameOf(t.actor)}` : 'waiting for an actor'}`)
          .join(', ');
        const more = this.results.length > 5 ? `, and ${this.results.length - 5} more` : '';
        reject(
          new ActorPoolTimeoutError(
            `ActorPool.getNextUnordered(${timeoutMs}): none of the ${this.results.length} ` +
              `pending calls (${pending}${more}) finished within ${timeoutMs} ms. They run on: ` +
              'call getNextUnordered() again to keep waiting.',
            'getNextUnordered',
            timeoutMs,
            undefined,
          ),
        );
      }, timeoutMs);
    });
  }
}
