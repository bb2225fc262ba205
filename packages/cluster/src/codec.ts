import v8 from 'node:v8';
import type { Message } from '@troupe/runtime/transport';

/**
 * The bytes of one message between processes. The value is written by V8's serializer, the same
 * structured clone a MessagePort uses between threads, so everything a local call accepts crosses
 * machines alike (Map, Set, Date, BigInt, typed arrays, cycles, errors); a transferred buffer is
 * copied. What structured clone cannot carry across processes is refused by name: shared memory
 * (shared primitives) and ports other than those of handles.
 *
 * Layout: one flags byte, the link (a uint32, little-endian), then the message as the serializer
 * writes it (its header, then the value; null closes the link). Flag `HANDLES` says that handle
 * descriptors in it carry addresses (an actor's subject) in place of ports. The message's bytes
 * stand alone, so that a relay can pass a batch of calls to its host, and the host's results
 * back, without decoding and encoding them again (`Op.Serialized`).
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

/** Bytes before a frame's message: the flags byte and the link. */
export const PREFIX_BYTES = 5;

/** Writes a frame's prefix (its flags, then its link) at the start of `into`. */
function writePrefix(into: Buffer, flags: Flags, link: number): void {
  if (!Number.isInteger(link) || link < 0 || link > 0xffffffff) {
    throw new Error(`a link id is a uint32 (got ${link})`);
  }
  into[0] = flags;
  into.writeUInt32LE(link, 1);
}

/** Where `serialize` writes a prefix before the serializer copies it in. */
const scratch = Buffer.alloc(PREFIX_BYTES);

/** The frame of `envelope` (whatever it holds that cannot cross machines throws `UnsendableError`). */
export function serialize(
  flags: Flags,
  envelope: readonly [link: number, message: unknown],
): Buffer {
  const writer = new Writer();
  // The prefix, then the serializer's own header and the message: one buffer, no copy.
  writePrefix(scratch, flags, envelope[0]);
  writer.writeRawBytes(scratch);
  writer.writeHeader();
  writer.writeValue(envelope[1]);
  return writer.releaseBuffer();
}

/** The frame of a message already serialized (`bytes`: a header, then the value), for `link`. */
export function frameOf(link: number, bytes: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + bytes.length);
  writePrefix(frame, Flags.None, link);
  frame.set(bytes, PREFIX_BYTES);
  return frame;
}

/** The bytes `value` takes as a message (throws `UnsendableError` where it cannot cross machines). */
export function sizeOf(value: unknown): number {
  const writer = new Writer();
  writer.writeHeader();
  writer.writeValue(value);
  return writer.releaseBuffer().length;
}

/**
 * Reads a frame: its flags, its envelope, and the message's own bytes (a view into `frame`).
 * Throws on bytes that are not a frame.
 */
export function deserialize(frame: Uint8Array): {
  flags: Flags;
  envelope: Envelope;
  body: Uint8Array;
} {
  if (frame.length < PREFIX_BYTES + 2) throw new Error('a frame is at least seven bytes');
  const flags = frame[0] as Flags;
  const link = Buffer.from(frame.buffer, frame.byteOffset, frame.length).readUInt32LE(1);
  const body = frame.subarray(PREFIX_BYTES);
  const reader = new v8.Deserializer(Buffer.from(body.buffer, body.byteOffset, body.length));
  reader.readHeader();
  const message = reader.readValue() as Message | null;
  return { flags, envelope: [link, message], body };
}

/** One message on a link: which link of its sender, and the protocol message (or a close). */
export type Envelope = readonly [link: number, message: Message | null];
