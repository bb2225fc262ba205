/** What a queue links: each entry carries its own links, so removing one costs O(1). */
export interface Queued {
  prev: Queued | undefined;
  next: Queued | undefined;
  /** The queue it is in, if any. */
  queue: unknown;
}

/**
 * Calls waiting to start, in arrival order, where one may leave from the middle: a thread pool's
 * calls waiting for a thread. Entries link themselves, so a cancelled call leaves the queue at
 * once wherever it is, without a scan; an entry is in one queue at most. (An actor's own queues,
 * whose calls only leave from the front, are `WaitingCalls` below.)
 */
export class CallQueue<T extends Queued> {
  private first: T | undefined;
  private last: T | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(entry: T): void {
    entry.queue = this;
    entry.prev = this.last;
    entry.next = undefined;
    if (this.last) this.last.next = entry;
    else this.first = entry;
    this.last = entry;
    this.count++;
  }

  /** Puts an entry first (a call sent again after a crash keeps its place ahead of later ones). */
  unshift(entry: T): void {
    entry.queue = this;
    entry.next = this.first;
    entry.prev = undefined;
    if (this.first) this.first.prev = entry;
    else this.last = entry;
    this.first = entry;
    this.count++;
  }

  shift(): T | undefined {
    const entry = this.first;
    if (entry) this.unlink(entry);
    return entry;
  }

  /** Takes `entry` out; false if it is not queued here. */
  remove(entry: T): boolean {
    if (entry.queue !== this) return false;
    this.unlink(entry);
    return true;
  }

  /** Empties the queue, handing each entry to `each` in order. */
  drain(each: (entry: T) => void): void {
    for (let entry = this.shift(); entry !== undefined; entry = this.shift()) each(entry);
  }

  private unlink(entry: T): void {
    const { prev, next } = entry;
    if (prev) prev.next = next;
    else this.first = next as T | undefined;
    if (next) next.prev = prev;
    else this.last = prev as T | undefined;
    entry.prev = undefined;
    entry.next = undefined;
    entry.queue = undefined;
    this.count--;
  }
}

/** Slots of one waiting call: endpoint, call id, target, arguments. */
const STRIDE = 4;
/** Calls a block holds (16 KB of slots: an ordinary young-generation object). */
const BLOCK_CALLS = 512;
/** Slots of a block's calls. */
const BLOCK_SLOTS = STRIDE * BLOCK_CALLS;
/**
 * The slot after them holds when each call was queued, in a `Float64Array`: a time in an ordinary
 * slot would be a 16-byte heap number a call, which the collector copies twice.
 */
const TIMES = BLOCK_SLOTS;
/** The last slot links the next block. */
const NEXT = BLOCK_SLOTS + 1;

type Block = unknown[];

function newBlock(): Block {
  const block = new Array(BLOCK_SLOTS + 2).fill(undefined);
  block[TIMES] = new Float64Array(BLOCK_CALLS);
  return block;
}

/**
 * Calls waiting to start in one of an actor's concurrency groups, in arrival order: four slots
 * and a queue time each in linked blocks of 512 calls, not an object each. An actor can have 200k
 * calls queued; an object per call (about 100 bytes) outlives the young generation and the
 * garbage collector copies it twice, while slots and time cost 40 bytes a call. Blocks, not one
 * ring that doubles: doubling a ring of 200k calls copied a million slots into fresh
 * old-generation arrays, each store through the write barrier (a quarter of the actor thread's
 * time with 200k calls queued, against 5% with 10k), while a block is written once and the queue
 * grows by one block at a time. A drained block is kept for the next one, so a queue that fills
 * and empties allocates nothing. A cancelled call stays in its place: the compare-and-swap when
 * its turn comes skips it. Read the first call's fields, then `shift`.
 */
export class WaitingCalls<E, T> {
  /** The block of the first call (undefined until the first push). */
  private first: Block | undefined;
  /** The block the next call goes into. */
  private last: Block | undefined;
  /** A drained block, kept for reuse. */
  private spare: Block | undefined;
  /** The first call's first slot in `first`. */
  private head = 0;
  /** Where the next call goes in `last`. */
  private tail = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(endpoint: E, callId: number, target: T, args: unknown[], queuedAt: number): void {
    let block = this.last;
    if (block === undefined) {
      block = this.takeBlock();
      this.first = block;
      this.last = block;
    } else if (this.tail === BLOCK_SLOTS) {
      const next = this.takeBlock();
      block[NEXT] = next;
      block = next;
      this.last = next;
      this.tail = 0;
    }
    const i = this.tail;
    block[i] = endpoint;
    block[i + 1] = callId;
    block[i + 2] = target;
    block[i + 3] = args;
    (block[TIMES] as Float64Array)[i / STRIDE] = queuedAt;
    this.tail = i + STRIDE;
    this.count++;
  }

  get endpoint(): E {
    return (this.first as Block)[this.head] as E;
  }

  get callId(): number {
    return (this.first as Block)[this.head + 1] as number;
  }

  get target(): T {
    return (this.first as Block)[this.head + 2] as T;
  }

  get args(): unknown[] {
    return (this.first as Block)[this.head + 3] as unknown[];
  }

  get queuedAt(): number {
    return ((this.first as Block)[TIMES] as Float64Array)[this.head / STRIDE] as number;
  }

  /** Drops the first call (read its fields first). */
  shift(): void {
    if (this.count === 0) return;
    const block = this.first as Block;
    const head = this.head;
    block[head] = undefined;
    block[head + 2] = undefined;
    block[head + 3] = undefined;
    this.count--;
    if (this.count === 0) {
      // Empty: the next call starts the block again.
      this.head = 0;
      this.tail = 0;
      return;
    }
    if (head + STRIDE < BLOCK_SLOTS) {
      this.head = head + STRIDE;
      return;
    }
    // The block is drained: its successor holds the next call.
    const next = block[NEXT] as Block;
    block[NEXT] = undefined;
    this.first = next;
    this.head = 0;
    this.spare = block;
  }

  /** Empties the queue, handing each call to `each` in order. */
  drain(each: (endpoint: E, callId: number, target: T) => void): void {
    while (this.count > 0) {
      const endpoint = this.endpoint;
      const callId = this.callId;
      const target = this.target;
      this.shift();
      each(endpoint, callId, target);
    }
  }

  private takeBlock(): Block {
    const spare = this.spare;
    if (spare === undefined) return newBlock();
    this.spare = undefined;
    return spare;
  }
}
