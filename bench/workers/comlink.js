// Comlink's side of the call-overhead comparison: the same echo, exposed through Comlink.
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter.js';

Comlink.expose({ echo: (x) => x }, nodeEndpoint(parentPort));
