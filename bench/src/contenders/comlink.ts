import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import * as nodeAdapter from 'comlink/dist/umd/node-adapter.js';
import type { Contender } from '../harness.js';
import { workerFile } from '../paths.js';
import type { EchoClient } from './client.js';

// A UMD file: Node hands its module.exports, the function, over as the default export, while
// TypeScript reads its declarations as a CommonJS module whose `default` is the function.
const nodeEndpoint = nodeAdapter.default as unknown as typeof nodeAdapter.default.default;

export const comlink: Contender<EchoClient> = {
  name: 'Comlink',
  async start() {
    const worker = new Worker(workerFile('comlink.js'));
    const remote = Comlink.wrap<{ echo(x: unknown): unknown }>(nodeEndpoint(worker));
    await remote.echo(0);
    return {
      client: { echo: (x) => remote.echo(x) as Promise<unknown> },
      async stop() {
        remote[Comlink.releaseProxy]();
        await worker.terminate();
      },
    };
  },
};
