/** What the blocking client and its helper worker say to each other. */
import type { MessagePort } from 'node:worker_threads';

/** Sent to the helper: fetch this URL. */
export interface FetchRequest {
  url: string;
}

/** Sent back: the body (transferred, not copied) or why there is none. */
export type FetchReply = { ok: true; body: ArrayBuffer } | { ok: false; error: string };

/** Slots of the shared signal array the two threads wait on. */
export const REPLY_READY = 0;
export const HELPER_READY = 1;

export interface HelperData {
  port: MessagePort;
  signal: Int32Array;
}
