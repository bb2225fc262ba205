import v8 from 'node:v8';
import { countOf, forEachResult } from './batch.js';
import {
  type CallsBatch,
  isStreamItem,
  Op,
  type ResultsBatch,
  type SerializedCallsMessage,
  type SerializedResultsMessage,
} from './protocol.js';

/**
 * Batches as bytes (`Op.Serialized`), for a caller in another process whose messages a relay
 * thread passes to the host: the relay hands on the bytes the caller sent rather than cloning
 * the batch it decoded, and the host answers in bytes the relay sends on as they are. Written
 * by V8's serializer, the structured clone a port uses, so a value arrives as it would have
 * through the port; a batch holding what the serializer refuses (a port, shared memory) is
 * never written so, and travels as a batch.
 */

/** Calls serialized by a remote caller (a header, then the batch), in a buffer of their own. */
export function serializedCalls(bytes: Uint8Array): SerializedCallsMessage {
  // A copy (not `slice`, which on a Buffer is a view): the bytes usually lie in a larger buffer
  // (a network read), which a clone would copy whole and a transfer would take from its reader.
  return [Op.Serialized, new Uint8Array(bytes)];
}

/** The buffers a serialized message moves rather than copies. */
export function movedBy(message: SerializedCallsMessage | SerializedResultsMessage): ArrayBuffer[] {
  return [message[1].buffer as ArrayBuffer];
}

/** `batch` as bytes, with the ids it answers for good; throws if the serializer refuses it. */
export function serializeResults(batch: ResultsBatch): SerializedResultsMessage {
  const writer = new v8.Serializer();
  writer.writeHeader();
  writer.writeValue(batch);
  const bytes = writer.releaseBuffer();
  const answered: number[] = [];
  forEachResult(batch, (callId, status) => {
    if (!isStreamItem(status)) answered.push(callId);
  });
  return [
    Op.Serialized,
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
    Float64Array.from(answered),
  ];
}

/** The batch of calls a serialized message holds; throws if it holds none. */
export function deserializeCalls(message: SerializedCallsMessage): CallsBatch {
  return read(message[1], Op.Calls) as CallsBatch;
}

/** The batch of results a serialized message holds; throws if it holds none. */
export function deserializeResults(message: SerializedResultsMessage): ResultsBatch {
  return read(message[1], Op.Results) as ResultsBatch;
}

function read(bytes: Uint8Array, op: Op): unknown {
  const reader = new v8.Deserializer(bytes);
  reader.readHeader();
  const value = reader.readValue() as unknown;
  if (!Array.isArray(value) || value[0] !== op || !Number.isInteger(countOf(value as never))) {
    throw new Error(`the serialized message is not a batch (op ${op})`);
  }
  return value;
}
