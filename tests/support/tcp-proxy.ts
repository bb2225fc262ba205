/**
 * A TCP proxy on a free loopback port in front of one server (a nats-server), through which a
 * process is partitioned from it: `cut()` ends every connection and refuses new ones,
 * `blackhole()` stops carrying bytes either way while the sockets stay open (as a network that
 * silently drops everything), `delay(ms)` holds every chunk back that long, `heal()` undoes them.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';

type Mode = { kind: 'open' } | { kind: 'cut' } | { kind: 'blackhole' };

/** Chunks on their way to one socket. */
interface Lane {
  queue: { chunk: Buffer; due: number }[];
  timer: NodeJS.Timeout | undefined;
}

/** One client connection and the connection to the server it is paired with. */
interface Pair {
  readonly client: net.Socket;
  readonly server: net.Socket;
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private mode: Mode = { kind: 'open' };
  private latencyMs = 0;
  /** Bytes each way, for the tests to see traffic went through. */
  readonly carried = { up: 0, down: 0 };

  private constructor(
    private readonly listener: net.Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {
    listener.on('connection', (client) => this.accept(client));
  }

  /** A proxy listening on a free loopback port, forwarding to `target`. */
  static async start(target: { host?: string; port: number }): Promise<TcpProxy> {
    const listener = net.createServer();
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = listener.address() as net.AddressInfo;
    return new TcpProxy(listener, port, { host: target.host ?? '127.0.0.1', port: target.port });
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Connections open now. */
  get connections(): number {
    return this.pairs.size;
  }

  private accept(client: net.Socket): void {
    if (this.mode.kind === 'cut') {
      client.destroy();
      return;
    }
    const server = net.connect(this.target.port, this.target.host);
    const pair: Pair = { client, server };
    this.pairs.add(pair);
    const end = () => {
      if (!this.pairs.delete(pair)) return;
      client.destroy();
      server.destroy();
    };
    for (const socket of [client, server]) {
      socket.setNoDelay(true);
      socket.on('error', end);
      socket.on('close', end);
    }
    client.on('data', (chunk) => this.forward(chunk, server, 'up'));
    server.on('data', (chunk) => this.forward(chunk, client, 'down'));
    // A pair opened while black-holed carries nothing either (its first bytes wait).
    if (this.mode.kind === 'blackhole') {
      client.pause();
      server.pause();
    }
  }

  private forward(chunk: Buffer, to: net.Socket, way: 'up' | 'down'): void {
    let lane = this.lanes.get(to);
    if (lane === undefined) {
      lane = { queue: [], timer: undefined };
      this.lanes.set(to, lane);
    }
    lane.queue.push({ chunk, due: performance.now() + this.latencyMs });
    this.pump(to, lane, way);
  }

  /** Chunks on their way to each socket, in order, each with when it may go. */
  private readonly lanes = new WeakMap<net.Socket, Lane>();

  /** Sends what is due, in order; a black hole holds everything until `heal()`. */
  private pump(to: net.Socket, lane: Lane, way: 'up' | 'down'): void {
    if (lane.timer !== undefined || this.mode.kind === 'blackhole') return;
    for (;;) {
      const head = lane.queue[0];
      if (head === undefined) return;
      const wait = head.due - performance.now();
      if (wait > 0) {
        lane.timer = setTimeout(() => {
          lane.timer = undefined;
          this.pump(to, lane, way);
        }, wait);
        return;
      }
      lane.queue.shift();
      if (to.destroyed) continue;
      this.carried[way] += head.chunk.length;
      to.write(head.chunk);
    }
  }

  /** Ends every connection now and refuses new ones until `heal()`. */
  cut(): void {
    this.mode = { kind: 'cut' };
    for (const { client, server } of [...this.pairs]) {
      client.destroy();
      server.destroy();
    }
    this.pairs.clear();
  }

  /**
   * Stops reading either side: nothing is carried, no connection ends (each peer sees silence,
   * its bytes pile up in the kernel's buffers), until `heal()`.
   */
  blackhole(): void {
    this.mode = { kind: 'blackhole' };
    for (const { client, server } of this.pairs) {
      client.pause();
      server.pause();
    }
  }

  /** Holds every chunk, each way, `ms` before passing it on (0: none). */
  delay(ms: number): void {
    this.latencyMs = ms;
  }

  /** Carries everything again (what a black hole held back flows on), without latency. */
  heal(): void {
    this.mode = { kind: 'open' };
    this.latencyMs = 0;
    for (const { client, server } of this.pairs) {
      for (const [to, way] of [
        [server, 'up'],
        [client, 'down'],
      ] as const) {
        const lane = this.lanes.get(to);
        if (lane !== undefined) this.pump(to, lane, way);
      }
      client.resume();
      server.resume();
    }
  }

  /** Ends every connection and stops listening. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }
}
