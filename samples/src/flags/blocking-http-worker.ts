/** The helper thread of `BlockingHttpClient`: makes each request while the client thread waits. */
import { Agent } from 'node:http';
import { workerData } from 'node:worker_threads';
import {
  type FetchReply,
  type FetchRequest,
  HELPER_READY,
  type HelperData,
  REPLY_READY,
} from './blocking-http-protocol.js';
import { httpGet } from './http-get.js';

const { port, signal } = workerData as HelperData;
const agent = new Agent({ keepAlive: true });

function reply(message: FetchReply, transfer: ArrayBuffer[] = []): void {
  // The reply must be on the port before the client wakes, or it would find the port empty.
  port.postMessage(message, transfer);
  Atomics.store(signal, REPLY_READY, 1);
  Atomics.notify(signal, REPLY_READY);
}

port.on('message', (request: FetchRequest) => {
  httpGet(request.url, agent).then(
    (body) => {
      const copy = new Uint8Array(body); // a Buffer may share a pooled ArrayBuffer: copy to own one
      reply({ ok: true, body: copy.buffer }, [copy.buffer]);
    },
    (error: Error) => reply({ ok: false, error: error.message }),
  );
});

Atomics.store(signal, HELPER_READY, 1);
Atomics.notify(signal, HELPER_READY);
