// The baseline: a hand-written echo worker. One dedicated MessagePort, one message per call,
// [id, value, moveBack] in and [id, value] out, nothing in between.
import { workerData } from 'node:worker_threads';

const { port } = workerData;
port.on('message', (message) => {
  if (message[2]) port.postMessage(message, [message[1]]);
  else port.postMessage(message);
});
