/**
 * Actors the cluster suites place on `troupe-node` processes. Built with the transformer, so
 * `dist/troupe-manifest.json` lists them with their module's hash.
 */
import { appendFileSync } from 'node:fs';
import {
  type ActorHandle,
  actor,
  callSignal,
  isCancelled,
  method,
  SharedCounter,
} from '@troupe/runtime';

/** Where the instance runs: the node's process id and its name in the environment. */
function where(): { pid: number } {
  return { pid: process.pid };
}

@actor()
export class Counter {
  private n: number;
  constructor(start = 0) {
    this.n = start;
  }
  incr(by = 1): number {
    this.n += by;
    return this.n;
  }
  value(): number {
    return this.n;
  }
  where(): { pid: number } {
    return where();
  }
  /** A serial actor runs one call at a time: the calls' order is their arrival order. */
  echo<T>(value: T): T {
    return value;
  }
  big(bytes: number): Uint8Array {
    return new Uint8Array(bytes);
  }
  fail(message: string): never {
    throw new TallyError(message, 7);
  }
  count(counter: SharedCounter): number {
    return counter.increment();
  }
  /** A result that cannot cross machines (shared memory). */
  sharedBack(): SharedCounter {
    return new SharedCounter();
  }
}

export class TallyError extends Error {
  override name = 'TallyError';
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/**
 * Async: calls overlap up to maxConcurrency (4); `hold` waits until `release` opens its gate.
 * The control methods run in a group of their own, so they answer while every slot is held.
 */
@actor({ maxConcurrency: 4, concurrencyGroups: { control: 1 } })
export class Gate {
  private inFlight = 0;
  private peak = 0;
  private entered = 0;
  private streamsEnded = 0;
  private opened: (() => void) | undefined;
  private gate = new Promise<void>((resolve) => {
    this.opened = resolve;
  });
  async hold(): Promise<number> {
    this.entered++;
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    await this.gate;
    this.inFlight--;
    return this.peak;
  }
  @method({ concurrencyGroup: 'control' })
  async stats(): Promise<{
    peak: number;
    inFlight: number;
    entered: number;
    streamsEnded: number;
  }> {
    return {
      peak: this.peak,
      inFlight: this.inFlight,
      entered: this.entered,
      streamsEnded: this.streamsEnded,
    };
  }
  @method({ concurrencyGroup: 'control' })
  async release(): Promise<void> {
    this.opened?.();
  }
  /** Waits until cancelled; says whether it saw the cancel. */
  async untilCancelled(): Promise<string> {
    const signal = callSignal();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    return isCancelled() ? 'cancelled' : 'not cancelled';
  }
  async *count(to: number): AsyncGenerator<number> {
    try {
      for (let i = 1; i <= to; i++) yield i;
    } finally {
      this.streamsEnded++;
    }
  }
}

/** Threaded: sync calls on 3 threads at once. */
@actor({ maxConcurrency: 3 })
export class Meeter {
  private readonly arrived = new SharedCounter();
  private readonly nap = new Int32Array(new SharedArrayBuffer(4));
  /**
   * Returns true once `n` calls are inside at the same time (each blocks its thread until
   * then), false if they never were within 20 s.
   */
  meet(n: number): boolean {
    this.arrived.increment();
    for (let i = 0; i < 20_000; i++) {
      if (this.arrived.get() >= n) return true;
      Atomics.wait(this.nap, 0, 0, 1);
    }
    return false;
  }
  pid(): number {
    return process.pid;
  }
}

/** Calls the actor it is given: a handle passed across machines. */
@actor()
export class Relay {
  private target: ActorHandle<Counter> | undefined;
  constructor(target?: ActorHandle<Counter>) {
    this.target = target;
  }
  async viaConstructor(by: number): Promise<number> {
    if (!this.target) throw new Error('no target');
    return this.target.incr(by);
  }
  async via(target: ActorHandle<Counter>, by: number): Promise<number> {
    return target.incr(by);
  }
  async pid(): Promise<number> {
    return process.pid;
  }
  /** The handle it was given, handed back: a handle in a result. */
  async targetBack(): Promise<ActorHandle<Counter> | undefined> {
    return this.target;
  }
}

/** Writes a line to its log when each call starts: the fault suites count executions by it. */
@actor()
export class Journal {
  constructor(private readonly log: string) {}
  work(id: number, busyMs: number): number {
    appendFileSync(this.log, `${id}\n`);
    const end = performance.now() + busyMs;
    while (performance.now() < end) {
      // Busy: the calls after it wait in the actor's queue.
    }
    return id;
  }
}

/** Echoes, counting its executions by id in a log: the chaos suite checks none is lost. */
@actor()
export class Echoer {
  constructor(private readonly log: string) {}
  echo(id: number): number {
    appendFileSync(this.log, `${id}\n`);
    return id;
  }
}
