import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from 'node:worker_threads';
import {
  type FetchReply,
  type FetchRequest,
  HELPER_READY,
  type HelperData,
  REPLY_READY,
} from './blocking-http-protocol.js';

const TIMEOUT_MS = 30_000;

/**
 * A genuinely blocking HTTP GET. Node has none, so, as synckit does, a helper worker makes the
 * request with the ordinary async client while this thread sleeps in `Atomics.wait`; the reply
 * is then taken off the port synchronously with `receiveMessageOnPort`. The price: one helper
 * thread per client (started in the constructor, so it counts as creation time) and two thread
 * hops per request.
 */
export class BlockingHttpClient {
  private readonly signal = new Int32Array(new SharedArrayBuffer(8));
  private readonly port: MessagePort;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    const data: HelperData = { port: port2, signal: this.signal };
    const helper = new Worker(new URL('./blocking-http-worker.js', import.meta.url), {
      workerData: data,
      transferList: [port2],
    });
    // The helper lives and dies with this thread; it must not keep a finished process alive.
    helper.unref();
    this.port = port1;
    if (Atomics.wait(this.signal, HELPER_READY, 0, TIMEOUT_MS) === 'timed-out') {
      throw new Error(`the blocking HTTP helper did not start within ${TIMEOUT_MS} ms`);
    }
  }

  /** Fetches `url` and returns its body, blocking this thread until it has arrived. */
  get(url: string): Buffer {
    Atomics.store(this.signal, REPLY_READY, 0);
    const request: FetchRequest = { url };
    this.port.postMessage(request);
    if (Atomics.wait(this.signal, REPLY_READY, 0, TIMEOUT_MS) === 'timed-out') {
      throw new Error(`GET ${url}: no reply within ${TIMEOUT_MS} ms`);
    }
    const reply = receiveMessageOnPort(this.port)?.message as FetchReply | undefined;
    if (!reply) throw new Error(`GET ${url}: the helper signalled a reply but sent none`);
    if (!reply.ok) throw new Error(`GET ${url}: ${reply.error}`);
    return Buffer.from(reply.body);
  }
}
