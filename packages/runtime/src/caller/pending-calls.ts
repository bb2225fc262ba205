/**
 * The calls a connection has sent and not yet seen answered, by wire id. Ids are handed out here,
 * one after the other, so the calls lie in an array in the order they were sent and an id finds
 * its call by subtraction. A `Map<number, Call>` did the same job at about 140 bytes of garbage
 * a call (its hash table grows while a pipelined burst is sent and shrinks as it is answered),
 * about a fifth of everything a pipelined call allocated: the young generation's collections
 * were most of the caller's time.
 *
 * Answers mostly come in the order of sending, so the array's head moves on as they arrive. A
 * call answered late (a long call on an async actor among many short ones) would pin the head
 * and let the array grow with every later call: when the array holds far more slots than calls,
 * its oldest calls move to a small map, and the head moves on past them.
 */
/** Slots an emptied array keeps for the next burst (8 bytes each). */
const MAX_KEPT = 1 << 16;

export class PendingCalls<C> {
  /**
   * The calls from id `base` on, `undefined` where answered: `items[head]` has id `base`, and
   * `items[tail]` is where the next call goes. Slots past `tail` are kept, empty, for reuse.
   */
  private items: (C | undefined)[] = [];
  private head = 0;
  private tail = 0;
  private base = 1;
  /** Calls older than `base` still unanswered. */
  private stragglers: Map<number, C> | undefined;
  private live = 0;

  get size(): number {
    return this.live;
  }

  /** Adds a call under the next id, and returns that id. */
  add(call: C): number {
    const id = this.base + this.tail - this.head;
    if (this.tail < this.items.length) this.items[this.tail] = call;
    else this.items.push(call);
    this.tail++;
    this.live++;
    return id;
  }

  get(id: number): C | undefined {
    if (id >= this.base) {
      const i = this.head + (id - this.base);
      return i < this.tail ? this.items[i] : undefined;
    }
    return this.stragglers?.get(id);
  }

  /** Removes a call; the call, or `undefined` if `id` is not pending. */
  take(id: number): C | undefined {
    if (id < this.base) {
      const call = this.stragglers?.get(id);
      if (call !== undefined) {
        (this.stragglers as Map<number, C>).delete(id);
        this.live--;
      }
      return call;
    }
    const i = this.head + (id - this.base);
    if (i >= this.tail) return undefined;
    const call = this.items[i];
    if (call === undefined) return undefined;
    this.items[i] = undefined;
    this.live--;
    if (i === this.head) this.advance();
    else if (this.tail - this.head > 4 * this.live + 1024) this.evictOldest();
    return call;
  }

  /** Removes every call, in the order they were sent. */
  takeAll(): C[] {
    const all: C[] = this.stragglers ? [...this.stragglers.values()] : [];
    for (let i = this.head; i < this.tail; i++) {
      const call = this.items[i];
      if (call !== undefined) all.push(call);
    }
    this.base += this.tail - this.head;
    this.items = [];
    this.head = 0;
    this.tail = 0;
    this.stragglers = undefined;
    this.live = 0;
    return all;
  }

  /**
   * Moves the head past answered calls. An emptied array is filled again from its start (a
   * pipelined burst then allocates nothing here), unless a burst made it very large.
   */
  private advance(): void {
    const items = this.items;
    let head = this.head;
    while (head < this.tail && items[head] === undefined) head++;
    this.base += head - this.head;
    if (head === this.tail) {
      if (items.length > MAX_KEPT) this.items = [];
      this.head = 0;
      this.tail = 0;
    } else if (head > 1024 && head * 2 > this.tail) {
      this.items = items.slice(head, this.tail);
      this.tail -= head;
      this.head = 0;
    } else {
      this.head = head;
    }
  }

  /** The head is pinned by calls answered late: they wait in the map, the array moves on. */
  private evictOldest(): void {
    const items = this.items;
    const end = this.head + ((this.tail - this.head) >> 1);
    this.stragglers ??= new Map();
    for (let i = this.head; i < end; i++) {
      const call = items[i];
      if (call !== undefined) this.stragglers.set(this.base + (i - this.head), call);
      items[i] = undefined;
    }
    this.base += end - this.head;
    this.head = end;
    this.advance();
  }
}
