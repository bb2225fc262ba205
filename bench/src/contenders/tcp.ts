import net from 'node:net';
import type { Contender } from '../harness.js';
import { workerFile } from '../paths.js';
import type { EchoClient } from './client.js';
import { type Child, startChild } from './process.js';

/** A frame: its length (12), the call's id, the value (a number: raw bytes, no serializer). */
const FRAME = 16;

/**
 * The cluster group's reference: a client of workers/tcp-echo.js, an echo server in another
 * process, over a loopback TCP socket with Nagle off. An id per call and a map of pending
 * resolvers; the frames of the calls made in one tick go out in one write, as Troupe's wire
 * sends one batch per tick (so calls awaited one by one are one write each).
 */
export class TcpEcho implements EchoClient {
  private nextId = 0;
  private readonly pending = new Map<number, (value: number) => void>();
  private outbox: Buffer[] = [];
  private scheduled = false;
  private rest: Buffer = Buffer.alloc(0);

  private constructor(
    /** The server process (its PID for CPU accounting). */
    readonly server: Child,
    private readonly socket: net.Socket,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  /** Starts the server process and connects to it. */
  static async start(): Promise<TcpEcho> {
    const server = await startChild(
      process.execPath,
      [new URL(workerFile('tcp-echo.js')).pathname],
      /listening (\d+)/,
      'the TCP echo server',
    );
    try {
      const socket = await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port: Number(server.match[1]), noDelay: true });
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
      return new TcpEcho(server, socket);
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  echo(x: unknown): Promise<unknown> {
    return new Promise((resolve) => {
      const id = this.nextId++ >>> 0;
      const frame = Buffer.allocUnsafe(FRAME);
      frame.writeUInt32LE(FRAME - 4, 0);
      frame.writeUInt32LE(id, 4);
      frame.writeDoubleLE(Number(x), 8);
      this.pending.set(id, resolve);
      this.outbox.push(frame);
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const frames = this.outbox;
    this.outbox = [];
    this.socket.write(frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames));
  };

  private receive(chunk: Buffer): void {
    const buffer = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    let offset = 0;
    while (buffer.length - offset >= FRAME) {
      const id = buffer.readUInt32LE(offset + 4);
      const value = buffer.readDoubleLE(offset + 8);
      offset += FRAME;
      const resolve = this.pending.get(id);
      this.pending.delete(id);
      resolve?.(value);
    }
    this.rest = buffer.subarray(offset);
  }

  async stop(): Promise<void> {
    this.socket.destroy();
    await this.server.stop();
  }
}

export const tcpEcho: Contender<EchoClient> = {
  name: 'raw TCP echo (2 processes)',
  async start() {
    const echo = await TcpEcho.start();
    return { client: echo, stop: () => echo.stop() };
  },
};
