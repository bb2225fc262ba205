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

/** Slots of one waiting call: endpoint, call id, target, arguments, when it was queued. */
const STRIDE = 5;
/** Calls an emptied ring keeps room for (a burst's ring is dropped, not kept). */
const MAX_KEPT = 4096;

/**
 * Calls waiting to start in one of an actor's concurrency groups, in arrival order: five slots
 * each in one ring-buffer array, not an object each. An actor can have 200k calls queued; an
 * object per call (about 100 bytes) outlives the young generation and the garbage collector
 * copies it twice, while slots of one large array cost nothing to keep. A cancelled call stays
 * in its place: the compare-and-swap when its turn comes skips it. Read the first call's fields,
 * then `shift`.
 */
export class WaitingCalls<E, T> {
  private slots: unknown[] = new Array(STRIDE * 16).fill(undefined);
  /** The first call's first slot. */
  private head = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(endpoint: E, callId: number, target: T, args: unknown[], queuedAt: number): void {
    if (this.count * STRIDE === this.slots.length) this.grow();
    const slots = this.slots;
    let i = this.head + this.count * STRIDE;
    if (i >= slots.length) i -= slots.length;
    slots[i] = endpoint;
    slots[i + 1] = callId;
    slots[i + 2] = target;
    slots[i + 3] = args;
    slots[i + 4] = queuedAt;
    this.count++;
  }

  get endpoint(): E {
    return this.slots[this.head] as E;
  }

  get callId(): number {
    return this.slots[this.head + 1] as number;
  }

  get target(): T {
    return this.slots[this.head + 2] as T;
  }

  get args(): unknown[] {
    return this.slots[this.head + 3] as unknown[];
  }

  get queuedAt(): number {
    return this.slots[this.head + 4] as number;
  }

  /** Drops the first call (read its fields first). */
  shift(): void {
    if (this.count === 0) return;
    const slots = this.slots;
    const head = this.head;
    slots[head] = undefined;
    slots[head + 2] = undefined;
    slots[head + 3] = undefined;
    this.count--;
    if (this.count === 0) {
      this.head = 0;
      if (slots.length > STRIDE * MAX_KEPT) this.slots = new Array(STRIDE * 16).fill(undefined);
    } else {
      this.head = head + STRIDE === slots.length ? 0 : head + STRIDE;
    }
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

  /** Doubles the ring, its calls first and in order. */
  private grow(): void {
    const old = this.slots;
    const slots: unknown[] = new Array(old.length * 2).fill(undefined);
    const tail = old.length - this.head;
    for (let i = 0; i < tail; i++) slots[i] = old[this.head + i];
    for (let i = 0; i < this.head; i++) slots[tail + i] = old[i];
    this.slots = slots;
    this.head = 0;
  }
}
