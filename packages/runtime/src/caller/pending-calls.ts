/**
 * The calls a connection has sent and not yet seen answered, by wire id. Ids are handed out here,
 * one after the other, so the calls lie in the order they were sent and an id finds its call by
 * subtraction. A `Map<number, Call>` did the same job at about 140 bytes of garbage a call (its
 * hash table grows while a pipelined burst is sent and shrinks as it is answered), about a fifth
 * of everything a pipelined call allocated: the young generation's collections were most of the
 * caller's time.
 *
 * The calls lie in blocks of 1024 slots, not in one array. One array had to be copied to move on
 * (its answered front sliced off) and grown by copying as calls were added: with a window of calls
 * kept pending, that was three or four slot copies a call and a fresh array every few thousand
 * calls, which past 16k slots lives in large-object pages the kernel must map afresh (about a
 * tenth of the caller's time at 10k or 200k calls kept pending). A block is written in place, a
 * drained one is kept for the calls to come, and the list of blocks is short (200 for 200k calls).
 *
 * Answers mostly come in the order of sending, so the oldest pending id moves on as they arrive.
 * A call answered late (a long call on an async actor among many short ones) would pin it and let
 * the blocks grow with every later call: when they hold far more slots than calls, the oldest
 * calls move to a small map, and the blocks move on past them.
 */

/** Slots a block (8 KB: an ordinary young object). */
const BLOCK = 1024;
const SLOT_MASK = BLOCK - 1;
const BLOCK_SHIFT = 10;
/** Drained blocks kept for the calls to come (64k slots, 512 KB: a burst that size reuses them). */
const MAX_SPARE = 64;

type Block<C> = (C | undefined)[];

export class PendingCalls<C> {
  /** `blocks[k]` holds the calls with ids `origin + k * BLOCK` to the next block's first. */
  private blocks: Block<C>[] = [];
  /** The id of `blocks[0][0]`. */
  private origin = 1;
  /** No call in the blocks has an id below this one (older calls are stragglers, or answered). */
  private oldest = 1;
  /** The id the next call gets. */
  private next = 1;
  /** Calls older than `oldest` still unanswered. */
  private stragglers: Map<number, C> | undefined;
  private spare: Block<C>[] = [];
  private live = 0;

  get size(): number {
    return this.live;
  }

  /** Adds a call under the next id, and returns that id. */
  add(call: C): number {
    const id = this.next++;
    const at = id - this.origin;
    const k = at >> BLOCK_SHIFT;
    let block = this.blocks[k];
    if (block === undefined) {
      block = this.spare.pop() ?? new Array<C | undefined>(BLOCK).fill(undefined);
      this.blocks.push(block);
    }
    block[at & SLOT_MASK] = call;
    this.live++;
    return id;
  }

  get(id: number): C | undefined {
    // A fraction or NaN (a corrupt answer) would index a slot by its integer part: no call has it.
    if (!Number.isInteger(id)) return undefined;
    if (id < this.oldest) return this.stragglers?.get(id);
    return id < this.next ? this.slot(id) : undefined;
  }

  /** Removes a call; the call, or `undefined` if `id` is not pending. */
  take(id: number): C | undefined {
    if (!Number.isInteger(id)) return undefined;
    if (id < this.oldest) {
      const call = this.stragglers?.get(id);
      if (call !== undefined) {
        (this.stragglers as Map<number, C>).delete(id);
        this.live--;
      }
      return call;
    }
    if (id >= this.next) return undefined;
    const call = this.slot(id);
    if (call === undefined) return undefined;
    this.clear(id);
    this.live--;
    if (id === this.oldest) this.advance();
    else if (this.next - this.oldest > 4 * this.live + BLOCK) this.evictOldest();
    return call;
  }

  /** Removes every call, in the order they were sent. */
  takeAll(): C[] {
    const all: C[] = this.stragglers ? [...this.stragglers.values()] : [];
    for (let id = this.oldest; id < this.next; id++) {
      const call = this.slot(id);
      if (call !== undefined) all.push(call);
    }
    this.blocks = [];
    this.origin = this.next;
    this.oldest = this.next;
    this.stragglers = undefined;
    this.live = 0;
    return all;
  }

  /** Moves `oldest` past answered calls, and hands the blocks it left behind to `spare`. */
  private advance(): void {
    let id = this.oldest;
    while (id < this.next && this.slot(id) === undefined) id++;
    this.oldest = id;
    if (id === this.next) {
      // Every call in the blocks answered: the next one starts the first block again.
      while (this.blocks.length > 1) this.keep(this.blocks.pop() as Block<C>);
      this.origin = id;
      return;
    }
    while (id - this.origin >= BLOCK) {
      this.keep(this.blocks.shift() as Block<C>);
      this.origin += BLOCK;
    }
  }

  /** The call in `id`'s slot (`id` from `origin` up to `next`). */
  private slot(id: number): C | undefined {
    const at = id - this.origin;
    return (this.blocks[at >> BLOCK_SHIFT] as Block<C>)[at & SLOT_MASK];
  }

  /** Empties `id`'s slot (`id` from `origin` up to `next`). */
  private clear(id: number): void {
    const at = id - this.origin;
    (this.blocks[at >> BLOCK_SHIFT] as Block<C>)[at & SLOT_MASK] = undefined;
  }

  /** Keeps a drained block (all its slots empty) for the calls to come. */
  private keep(block: Block<C>): void {
    if (this.spare.length < MAX_SPARE) this.spare.push(block);
  }

  /** `oldest` is pinned by calls answered late: they wait in the map, the blocks move on. */
  private evictOldest(): void {
    const end = this.oldest + ((this.next - this.oldest) >> 1);
    this.stragglers ??= new Map();
    for (let id = this.oldest; id < end; id++) {
      const call = this.slot(id);
      if (call !== undefined) {
        this.stragglers.set(id, call);
        this.clear(id);
      }
    }
    this.oldest = end;
    this.advance();
  }
}
