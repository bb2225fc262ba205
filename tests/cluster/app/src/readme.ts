/**
 * The actor classes of the README's examples, as the README writes them, for
 * tests/cluster-readme.test.ts to run across one nats-server and three `troupe-node` processes.
 * Where the README leaves a body out (`…`) or names a helper it does not show (`base`, `heavy`,
 * `flush`, the `Worker` of the shared-primitive and ActorPool examples), the smallest body that
 * lets a test see what the README says is written here, and says so.
 *
 * Servers: the README's `fetch`es go to the suite's HTTP server on 127.0.0.1, whose URL the
 * suite puts in `README_BASE` before it starts the nodes (their actors' threads inherit it).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  type ActorHandle,
  actor,
  callSignal,
  exitActor,
  isCancelled,
  type Mutex,
  method,
  type SharedCounter,
} from '@troupe/runtime';

/** The README's free `base`: where the flags (and the other examples' pages) are served. */
const base = process.env.README_BASE ?? 'http://127.0.0.1:1';

// ── The three kinds: Serial ─────────────────────────────────────────────────────────────────

@actor()
export class Counter {
  private n: number;
  constructor(start: number) {
    this.n = start;
  }
  add(by: number): number {
    // biome-ignore lint/suspicious/noAssignInExpressions: the README's text
    return (this.n += by);
  }
}

// ── The three kinds: Async ──────────────────────────────────────────────────────────────────

@actor({ maxConcurrency: 20 })
export class AsyncFlags {
  async download(cc: string): Promise<number> {
    const res = await fetch(`${base}/flags/${cc}.png`);
    return (await res.arrayBuffer()).byteLength;
  }
}

// ── The three kinds: Threaded ───────────────────────────────────────────────────────────────

@actor({ maxConcurrency: 8 })
export class Hasher {
  constructor(private readonly done: SharedCounter) {}
  hash(seed: string, rounds: number): string {
    let digest = seed;
    for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest('hex');
    this.done.increment(); // one counter, shared by all 8 threads
    return digest;
  }
}

// ── Shared primitives, and ActorPool's `Worker` ─────────────────────────────────────────────

/**
 * The README's `Worker`: `spawn(Worker, { args: [inFlight, lock, hits] })` in *Shared
 * primitives*, `spawn(Worker)` and `w.process(v)` in *ActorPool*. `process` counts itself in the
 * shared primitives when it was given them.
 */
@actor()
export class Worker {
  constructor(
    private readonly inFlight?: SharedCounter,
    private readonly lock?: Mutex,
    private readonly hits?: Int32Array,
  ) {}
  process(v: number): number {
    this.inFlight?.increment();
    try {
      const hits = this.hits;
      if (hits !== undefined) {
        // Under the lock, a read-modify-write that a race would lose an update of.
        this.lock?.withLock(() => {
          const slot = v % hits.length;
          hits[slot] = (hits[slot] ?? 0) + 1;
        });
      }
      return v * v;
    } finally {
      this.inFlight?.decrement();
    }
  }
  pid(): number {
    return process.pid;
  }
}

// ── Concurrency groups ──────────────────────────────────────────────────────────────────────

export interface Page {
  url: string;
  body: string;
}

/** The bodies fetch from the suite's server, which holds each request until the test lets it go. */
@actor({ maxConcurrency: 2, concurrencyGroups: { io: 2, compute: 4 } })
export class Service {
  @method({ concurrencyGroup: 'io' }) async fetchPage(url: string): Promise<Page> {
    return { url, body: await (await fetch(url)).text() };
  }
  @method({ concurrencyGroup: 'compute' }) async render(page: Page): Promise<string> {
    return (await fetch(`${base}/render?${encodeURIComponent(page.body)}`)).text();
  }
  async status(): Promise<string> {
    return (await fetch(`${base}/status`)).text(); // the default group: maxConcurrency 2
  }
}

// ── Cancellation and timeouts; Result references ────────────────────────────────────────────

@actor()
export class Crawler {
  async fetchPage(url: string): Promise<string> {
    const signal = callSignal(); // aborts when the caller cancels or times out
    const res = await fetch(url, { signal });
    return res.text();
  }
  @method({ timeoutMs: 500 }) async lookup(key: string): Promise<string> {
    return (await fetch(`${base}/lookup/${key}`, { signal: callSignal() })).text();
  }
  /** Not in the README: a call that makes a call (on `via`, maybe on another node). */
  async crawl(url: string, via: ActorHandle<Crawler>): Promise<string> {
    return via.fetchPage(url);
  }
}

/** `heavy` as the README's `crunch` calls it: about a millisecond of CPU per item. */
function heavy(item: number): number {
  let x = item;
  const until = performance.now() + 1;
  while (performance.now() < until) x = (x * 1103515245 + 12345) % 2147483648;
  return x;
}

/** The README's `crunch`, on a serial actor; `progress` tells how far its last call went. */
@actor()
export class Cruncher {
  private started = 0;
  private processed = 0;
  crunch(items: number[]): number {
    this.started++;
    this.processed = 0;
    let sum = 0;
    for (const item of items) {
      if (isCancelled()) break; // the caller has its CancelledError already
      sum += heavy(item);
      this.processed++;
    }
    return sum;
  }
  progress(): { started: number; processed: number } {
    return { started: this.started, processed: this.processed };
  }
}

// ── Backpressure ────────────────────────────────────────────────────────────────────────────

/** `@actor({ maxPendingCalls: 10 })`, the README's one line. */
@actor({ maxPendingCalls: 10 })
export class Mailbox {
  private count = 0;
  put(_item: string): number {
    return ++this.count;
  }
}

// ── Restarts and retries; Result references (`indexer.count(page)`) ─────────────────────────

export class BusyError extends Error {
  override name = 'BusyError';
}

/**
 * The README's `Indexer`. `crashOnce(marker)` ends its worker the first time it runs (the marker
 * file, on the node's disk, remembers across the restart); `busyFor(n)` makes the next `n`
 * lookups throw `BusyError`.
 */
@actor({ maxRestarts: 3, maxTaskRetries: 2 }) // rebuilt after up to 3 crashes; calls resent twice
export class Indexer {
  private busy = 0;
  private counted: string[] = [];
  @method({ maxTaskRetries: 0 }) commit(marker?: string): string {
    if (marker !== undefined) crashFirstTime(marker);
    return 'committed';
  }
  @method({ retryExceptions: [BusyError, 'TimeoutError'] }) lookup(k: string): string {
    if (this.busy > 0) {
      this.busy--;
      throw new BusyError(`busy: ${k}`);
    }
    return `found ${k}`;
  }
  /** The next `n` lookups throw `BusyError`; returns how many of the last such count were left. */
  busyFor(n: number): number {
    const left = this.busy;
    this.busy = n;
    return left;
  }
  crashOnce(marker: string): string {
    crashFirstTime(marker);
    return 'ran again';
  }
  count(page: string): number {
    this.counted.push(page);
    return page.split(/\s+/).filter(Boolean).length;
  }
  history(): string[] {
    return this.counted;
  }
  pid(): number {
    return process.pid;
  }
}

/** Ends the worker the first time it runs for `marker` (a file on the actor's machine). */
function crashFirstTime(marker: string): void {
  if (!existsSync(marker)) {
    writeFileSync(marker, String(process.pid));
    process.exit(1);
  }
}

// ── Streaming ───────────────────────────────────────────────────────────────────────────────

@actor()
export class Tail {
  private produced = 0;
  private closed = 0;
  async *lines(file: string): AsyncGenerator<string> {
    const input = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    try {
      for await (const line of input) {
        this.produced++;
        yield line;
      }
    } finally {
      this.closed++;
      input.close();
    }
  }
  async stats(): Promise<{ produced: number; closed: number }> {
    return { produced: this.produced, closed: this.closed };
  }
}

@actor()
export class Chunker {
  *chunks(text: string, size: number): Generator<string> {
    for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
  }
}

// ── Exiting ─────────────────────────────────────────────────────────────────────────────────

@actor()
export class Session {
  private written: string[] = [];
  private flushed = 0;
  write(line: string): number {
    this.written.push(line);
    return this.written.length;
  }
  flush(): number {
    this.flushed += this.written.length;
    this.written = [];
    return this.flushed;
  }
  close(): void {
    this.flush();
    exitActor(); // the caller's close() rejects with ActorDiedError
  }
}
