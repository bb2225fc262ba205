import v8 from 'node:v8';
import type { Message } from '@troupe/runtime/transport';

/**
 * The bytes of one message between processes. The value is written by V8's serializer, the same
 * structured clone a MessagePort uses between threads, so everything a local call accepts crosses
 * machines alike (Map, Set, Date, BigInt, typed arrays, cycles, errors); a transferred buffer is
 * copied. What structured clone cannot carry across processes is refused by name: shared memory
 * (shared primitives) and ports other than those of handles.
 *
 * Layout: one flags byte, then the serialized `[link, message]`. Flag `HANDLES` says that handle
 * descriptors in it carry addresses (an actor's subject) in place of ports.
 */
export enum Flags {
  None = 0,
  Handles = 1,
  /** The frame is `[link, name]`: the message itself is an object in the blob store. */
  Blob = 2,
}

/** The default largest message (64 MB), past which a call fails at once with a named error. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Why a value cannot cross machines, with the argument it is in where that is known. */
export class UnsendableError extends Error {
  argumentIndex = -1;
}

class Writer extends v8.Serializer {
  _writeHostObject(object: object): void {
    const name = (object as { constructor?: { name?: string } }).constructor?.name;
    throw new UnsendableError(
      `a ${name ?? 'host object'} cannot cross machines (only a handle's port can, as the handle)`,
    );
  }

  _getSharedArrayBufferId(): number {
    throw new UnsendableError(
      "shared memory cannot cross machines (SharedCounter, Mutex, sharedArray): spawn the actor with placement: 'local' to share it",
    );
  }
}

/** The flags byte of each frame, written first by the serializer itself. */
const FLAG_BYTES = [0, 1, 2, 3].map((flags) => Buffer.from([flags]));

/** Serializes `value` (whatever it holds that cannot cross machines throws `UnsendableError`). */
export function serialize(flags: Flags, value: unknown): Buffer {
  const writer = new Writer();
  // The flags byte, then the serializer's own header and the value: one buffer, no copy.
  writer.writeRawBytes(FLAG_BYTES[flags] ?? Buffer.from([flags]));
  writer.writeHeader();
  writer.writeValue(value);
  return writer.releaseBuffer();
}

/** Reads a frame: its flags and value. Throws on bytes that are not a frame. */
export function deserialize(frame: Uint8Array): { flags: Flags; value: unknown } {
  if (frame.length < 2) throw new Error('a frame is at least two bytes');
  const flags = frame[0] as Flags;
  const reader = new v8.Deserializer(
    Buffer.from(frame.buffer, frame.byteOffset + 1, frame.length - 1),
  );
  reader.readHeader();
  return { flags, value: reader.readValue() };
}

/** One message on a link: which link of its sender, and the protocol message (or a close). */
export type Envelope = readonly [link: number, message: Message | null];
