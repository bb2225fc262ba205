type TypedArrayConstructor<T> = {
  new (buffer: SharedArrayBuffer, byteOffset?: number, length?: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/**
 * A typed array over a new SharedArrayBuffer. Structured clone shares its memory, so every thread
 * it is passed to reads and writes the same elements; use `Atomics` for read-modify-write.
 *
 * @example
 * const hits = sharedArray(Int32Array, 16);
 * Atomics.add(hits, 3, 1);
 */
export function sharedArray<T>(type: TypedArrayConstructor<T>, length: number): T {
  return new type(new SharedArrayBuffer(type.BYTES_PER_ELEMENT * length));
}
