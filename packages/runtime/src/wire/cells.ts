import { CELL_MASK, CELL_SHIFT, CELLS_PER_CHUNK } from './protocol.js';

/** One chunk of a link's call-state cells, and how many of its ids this side still needs. */
interface Chunk {
  readonly cells: Int32Array;
  left: number;
  /** What this side keeps of each call of the chunk (`mark`): 0 for none, made when first used. */
  marks?: Int32Array;
}

/**
 * The call-state cells of one link (`CallState`), as either side holds them: chunks of
 * `CELLS_PER_CHUNK` cells over shared memory, chunk `id >> CELL_SHIFT` holding the cell of call
 * `id`. Call ids only grow, so each cell serves one call; a chunk is dropped once every id in it
 * is done with on this side, and the memory lives on while the other side still holds it.
 */
export class CellChunks {
  private readonly chunks = new Map<number, Chunk>();
  private lastIndex = -1;
  private last: Chunk | undefined;

  get size(): number {
    return this.chunks.size;
  }

  /** Chunk `index` is `cells` (id 0 is never used, so chunk 0 has one id fewer). */
  add(index: number, cells: Int32Array): void {
    this.chunks.set(index, { cells, left: index === 0 ? CELLS_PER_CHUNK - 1 : CELLS_PER_CHUNK });
  }

  /** The cells holding call `id`'s cell (at `id & CELL_MASK`), if this side has them. */
  cellsOf(id: number): Int32Array | undefined {
    return this.chunk(id)?.cells;
  }

  /**
   * Keeps `value` (> 0) for call `id`, whose chunk this side has, until `release(id)`: one slot of
   * an array a chunk, where a map a call would cost an entry each (a relay marks every call).
   */
  mark(id: number, value: number): void {
    const chunk = this.chunk(id);
    if (chunk === undefined) return;
    chunk.marks ??= new Int32Array(CELLS_PER_CHUNK);
    chunk.marks[id & CELL_MASK] = value;
  }

  /** Every call marked and not yet released, in id order within a chunk: its id and mark. */
  *marked(): Generator<[id: number, value: number]> {
    for (const [index, chunk] of this.chunks) {
      const marks = chunk.marks;
      if (marks === undefined) continue;
      for (let cell = 0; cell < CELLS_PER_CHUNK; cell++) {
        const value = marks[cell] as number;
        if (value !== 0) yield [(index << CELL_SHIFT) | cell, value];
      }
    }
  }

  /** Forgets every mark (the chunks stay). */
  unmarkAll(): void {
    for (const chunk of this.chunks.values()) chunk.marks = undefined;
  }

  /**
   * This side is done with call `id` (its mark goes): a chunk whose every id is done with is
   * dropped.
   */
  release(id: number): void {
    const chunk = this.chunk(id);
    if (chunk === undefined) return;
    if (chunk.marks !== undefined) chunk.marks[id & CELL_MASK] = 0;
    if (--chunk.left > 0) return;
    this.chunks.delete(id >> CELL_SHIFT);
    if (this.last === chunk) {
      this.last = undefined;
      this.lastIndex = -1;
    }
  }

  private chunk(id: number): Chunk | undefined {
    const index = id >> CELL_SHIFT;
    if (index === this.lastIndex) return this.last;
    const chunk = this.chunks.get(index);
    if (chunk !== undefined) {
      this.lastIndex = index;
      this.last = chunk;
    }
    return chunk;
  }
}
