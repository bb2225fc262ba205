/** What a queue links: each entry carries its own links, so removing one costs O(1). */
export interface Queued {
  prev: Queued | undefined;
  next: Queued | undefined;
  /** The queue it is in, if any. */
  queue: unknown;
}

/**
 * Calls waiting to start, in arrival order: an actor's calls in one concurrency group inside its
 * worker, or a thread pool's calls waiting for a thread. Entries link themselves, so a cancelled
 * call leaves the queue at once wherever it is, without a scan; an entry is in one queue at most.
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
