import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Contender } from '../harness.js';
import { workerFile } from '../paths.js';
import type { EchoClient } from './client.js';
import { type Child, startChild } from './process.js';

/** A message: the call's id, the value (a number: raw bytes, no serializer). */
const MESSAGE = 12;

/**
 * What the NATS hop costs by itself: a nats.js client publishing one message per call to
 * workers/nats-echo.js (another process), with one inbox subscription for the answers and a map
 * of pending resolvers. nats.js writes the messages published in one tick in one socket write.
 */
export class NatsEcho implements EchoClient {
  private nextId = 0;
  private readonly pending = new Map<number, (value: number) => void>();
  private readonly inbox: string;
  private readonly sub: Subscription;

  private constructor(
    /** The responder process (its PID for CPU accounting). */
    readonly responder: Child,
    private readonly nc: NatsConnection,
    private readonly subject: string,
  ) {
    this.inbox = `bench.inbox.${process.pid}`;
    this.sub = nc.subscribe(this.inbox, {
      callback: (error, msg) => {
        if (error || msg.data.length !== MESSAGE) return;
        const view = Buffer.from(msg.data.buffer, msg.data.byteOffset, MESSAGE);
        const id = view.readUInt32LE(0);
        const resolve = this.pending.get(id);
        this.pending.delete(id);
        resolve?.(view.readDoubleLE(4));
      },
    });
  }

  /** Starts the responder process and connects to `url`. */
  static async start(url: string): Promise<NatsEcho> {
    const subject = `bench.echo.${process.pid}`;
    const responder = await startChild(
      process.execPath,
      [new URL(workerFile('nats-echo.js')).pathname, url, subject],
      /ready/,
      'the NATS echo responder',
    );
    try {
      const { connect } = await import('@nats-io/transport-node');
      const nc = await connect({ servers: url, name: 'troupe-bench-nats-client' });
      const echo = new NatsEcho(responder, nc, subject);
      await nc.flush();
      return echo;
    } catch (error) {
      await responder.stop();
      throw error;
    }
  }

  echo(x: unknown): Promise<unknown> {
    return new Promise((resolve) => {
      const id = this.nextId++ >>> 0;
      const message = Buffer.allocUnsafe(MESSAGE);
      message.writeUInt32LE(id, 0);
      message.writeDoubleLE(Number(x), 4);
      this.pending.set(id, resolve);
      this.nc.publish(this.subject, message, { reply: this.inbox });
    });
  }

  async stop(): Promise<void> {
    this.sub.unsubscribe();
    await this.nc.close();
    await this.responder.stop();
  }
}

/** The raw NATS echo, on the server at `url()` (known once the group has started it). */
export function natsEcho(url: () => string): Contender<EchoClient> {
  return {
    name: 'raw NATS echo (nats.js, 2 processes + nats-server)',
    async start() {
      const echo = await NatsEcho.start(url());
      return { client: echo, stop: () => echo.stop() };
    },
  };
}
