/**
 * The only code that knows how calls and results lie inside a batch. A batch is one flat array,
 * `[Op.Calls, callId, target, args, callId, target, args, …]` or `[Op.Results, callId, status,
 * value, …]`: flat, because one `postMessage` of a flat array is the measured fast path (no
 * object per call to clone). Everything else reads and writes batches through these functions.
 */
import {
  type CallMeta,
  type CallsBatch,
  type CallTarget,
  METHOD_GROUP,
  Op,
  type ResultsBatch,
  type SentArgs,
  type Status,
} from './protocol.js';

/** Slots of one call (callId, target, args) and of one result (callId, status, value). */
const STRIDE = 3;

type Writable = unknown[];

export function newCalls(): CallsBatch {
  return [Op.Calls] as unknown as CallsBatch;
}

export function newResults(): ResultsBatch {
  return [Op.Results] as unknown as ResultsBatch;
}

export function appendCall(
  batch: CallsBatch,
  callId: number,
  target: CallTarget,
  args: SentArgs,
): void {
  (batch as unknown as Writable).push(callId, target, args);
}

export function appendResult(
  batch: ResultsBatch,
  callId: number,
  status: Status,
  value: unknown,
): void {
  (batch as unknown as Writable).push(callId, status, value);
}

/** A batch of one call. */
export function oneCall(callId: number, target: CallTarget, args: SentArgs): CallsBatch {
  return [Op.Calls, callId, target, args] as unknown as CallsBatch;
}

/** A batch of one result. */
export function oneResult(callId: number, status: Status, value: unknown): ResultsBatch {
  return [Op.Results, callId, status, value] as unknown as ResultsBatch;
}

/**
 * Calls (or results) a batch takes before it leaves without waiting for the end of the tick. A
 * burst of calls made in one tick (200k in a loop) would otherwise be one array of 600k slots,
 * holding every call's arguments until the burst ends, cloned in one piece and decoded in one
 * piece by the actor's thread: the arguments outlive the young generation and are copied twice
 * by the garbage collector, and the actor starts nothing until the whole burst has been made.
 * 1024 rather than more: the actor's thread starts on the first batch while the caller makes
 * the next, and a batch's array (3073 slots) stays an ordinary young object, where one past
 * 16k slots lives in large-object pages the kernel must map for each batch. Measured with
 * `npm run bench -- --quick --only overhead`, 5000 calls fired at once: 2.6-2.7x the raw port
 * echo at 8192 a batch, 3.0-3.5x at 4096, 5.2-6.0x at 2048, 6.4-7.1x at 1024, 6.3-6.9x at 512.
 */
const FULL = 1 + STRIDE * 1024;

/** Whether a batch of calls (or results) should leave now rather than at the end of the tick. */
export function isFull(batch: CallsBatch | ResultsBatch): boolean {
  return batch.length >= FULL;
}

/** Whether a batch holds no call or result. */
export function isEmpty(batch: CallsBatch | ResultsBatch): boolean {
  return batch.length === 1;
}

/** Appends the calls of `from` to `into`, in their order (batches relayed in one tick go as one). */
export function appendCalls(into: CallsBatch, from: CallsBatch): void {
  const b = into as unknown as Writable;
  for (let i = 1; i < from.length; i++) b.push(from[i]);
}

/** Calls (or results) in a batch. */
export function countOf(batch: CallsBatch | ResultsBatch): number {
  return (batch.length - 1) / STRIDE;
}

/** Takes a call out of a batch not yet sent; false if the batch does not hold it. */
export function removeCall(batch: CallsBatch, callId: number): boolean {
  const b = batch as unknown as Writable;
  for (let i = 1; i < b.length; i += STRIDE) {
    if (b[i] === callId) {
      b.splice(i, STRIDE);
      return true;
    }
  }
  return false;
}

/** The lowest and highest call id in a batch of calls (0 and 0 for an empty one). */
export function callIdRange(batch: CallsBatch): readonly [first: number, last: number] {
  let first = 0;
  let last = 0;
  for (let i = 1; i < batch.length; i += STRIDE) {
    const id = batch[i] as number;
    if (first === 0 || id < first) first = id;
    if (id > last) last = id;
  }
  return [first, last];
}

export function forEachCall(
  batch: CallsBatch,
  each: (callId: number, target: CallTarget, args: SentArgs) => void,
): void {
  for (let i = 1; i < batch.length; i += STRIDE) {
    each(batch[i] as number, batch[i + 1] as CallTarget, batch[i + 2] as SentArgs);
  }
}

/** Replaces each call's arguments, in place, with what `f` makes of them (encoding before a send). */
export function mapArgs(batch: CallsBatch, f: (args: SentArgs) => SentArgs): void {
  const b = batch as unknown as Writable;
  for (let i = 3; i < b.length; i += STRIDE) b[i] = f(b[i] as SentArgs);
}

export function forEachResult(
  batch: ResultsBatch,
  each: (callId: number, status: Status, value: unknown) => void,
): void {
  for (let i = 1; i < batch.length; i += STRIDE) {
    each(batch[i] as number, batch[i + 1] as Status, batch[i + 2]);
  }
}

/** The target of a call to `methodId`; a plain number unless it overrides its group or has metadata. */
export function targetOf(methodId: number, group?: number, meta?: CallMeta): CallTarget {
  if (meta !== undefined) return [methodId, group ?? METHOD_GROUP, meta];
  return group === undefined ? methodId : [methodId, group];
}

export function methodOf(target: CallTarget): number {
  return typeof target === 'number' ? target : target[0];
}

/** The group the call asks for, or undefined for its method's own. */
export function groupOf(target: CallTarget): number | undefined {
  if (typeof target === 'number' || target[1] === METHOD_GROUP) return undefined;
  return target[1];
}

export function metaOf(target: CallTarget): CallMeta | undefined {
  return typeof target === 'number' ? undefined : target[2];
}
