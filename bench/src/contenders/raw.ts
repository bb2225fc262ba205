import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { Contender } from '../harness.js';
import { workerFile } from '../paths.js';
import type { EchoClient } from './client.js';

/**
 * The baseline: a hand-written client for workers/echo.js. An id per call and a map of pending
 * resolvers, which is the least a client needs once replies may arrive out of order.
 */
export class RawEcho implements EchoClient {
  private nextId = 0;
  private readonly pending = new Map<number, (value: unknown) => void>();

  private constructor(
    readonly worker: Worker,
    private readonly port: MessagePort,
  ) {
    port.on('message', (message: [number, unknown]) => {
      const resolve = this.pending.get(message[0]);
      this.pending.delete(message[0]);
      resolve?.(message[1]);
    });
  }

  /** Starts the worker and resolves after its first echo, as a Troupe actor's `ready()` does. */
  static async start(): Promise<RawEcho> {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(workerFile('echo.js'), {
      workerData: { port: port2 },
      transferList: [port2],
    });
    const echo = new RawEcho(worker, port1);
    await echo.echo(0);
    return echo;
  }

  echo(x: unknown): Promise<unknown> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.pending.set(id, resolve);
      this.port.postMessage([id, x, false]);
    });
  }

  bounce(buffer: ArrayBuffer): Promise<ArrayBuffer> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.pending.set(id, resolve as (value: unknown) => void);
      this.port.postMessage([id, buffer, true], [buffer]);
    });
  }

  async stop(): Promise<void> {
    this.port.close();
    await this.worker.terminate();
  }
}

export const rawEcho: Contender<EchoClient> = {
  name: 'raw MessagePort echo',
  async start() {
    const echo = await RawEcho.start();
    return { client: echo, stop: () => echo.stop() };
  },
};
