import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BARRIER_TIMEOUT_MS } from '../common/in-flight.js';
import type { FlagFile } from './images.js';

const PING_BODY = 'pong\n'.repeat(1000);

export interface FlagServer {
  /** `http://127.0.0.1:<port>`; flags are at `/flags/<CC>.png`, `/ping` answers at once. */
  baseUrl: string;
  /** Flag requests served, pings apart. */
  requests(): number;
  /**
   * For tests: holds the next flag requests, unanswered, until `size` are waiting at once or
   * `requests` (the run's calls) have all arrived, then answers them (after the latency) and the
   * rest as usual. The peak of downloads in flight is then certain when the actor really allows
   * `size` at once, however busy the cores; if it does not, the barrier gives up after
   * `timeoutMs` from the first held request, and the lower peak shows it. Call before each run.
   */
  holdUntil(size: number, requests: number, timeoutMs?: number): void;
  /** Whether the last `holdUntil` barrier gave up waiting rather than filled. */
  barrierTimedOut(): boolean;
  close(): Promise<void>;
}

/**
 * Serves the flags on 127.0.0.1 and an ephemeral port, answering each request after `latencyMs`,
 * as a distant server would: the latency, not the bytes, is what concurrency can hide.
 */
export async function startFlagServer(files: FlagFile[], latencyMs: number): Promise<FlagServer> {
  const byPath = new Map(files.map((f) => [`/flags/${f.code}.png`, f]));
  let requests = 0;
  let barrier: Barrier | undefined;
  const server = createServer((req, res) => {
    if (req.url === '/ping') {
      // Answered at once, with a body like a flag's, so the actor's first request (its
      // connection, and the client code's first run) happens before the timed calls.
      res.writeHead(200, { 'content-type': 'text/plain' }).end(PING_BODY);
      return;
    }
    requests++;
    const file = byPath.get(req.url ?? '');
    const answer = () => {
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`no flag at ${req.url}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': file.png.length });
      res.end(file.png);
    };
    const respond = () => setTimeout(answer, latencyMs);
    if (barrier?.state === 'closed') barrier.hold(respond);
    else respond();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests: () => requests,
    holdUntil: (size, calls, timeoutMs = BARRIER_TIMEOUT_MS) => {
      barrier?.open('opened');
      barrier = new Barrier(size, calls, timeoutMs);
    },
    barrierTimedOut: () => barrier?.state === 'timed-out',
    close: async () => {
      barrier?.open('opened');
      // Keep-alive sockets from the actors' agents would hold `close` open until they time out.
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Responses held until `size` requests wait at once or all `requests` have arrived. */
class Barrier {
  state: 'closed' | 'opened' | 'timed-out' = 'closed';
  private readonly held: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly size: number,
    private readonly requests: number,
    private readonly timeoutMs: number,
  ) {
    if (!(size >= 1)) throw new Error(`a barrier needs a size of 1 or more, not ${size}`);
  }

  hold(respond: () => void): void {
    this.held.push(respond);
    // Nothing is answered while closed, so every request that arrived is still waiting.
    if (this.held.length >= Math.min(this.size, this.requests)) this.open('opened');
    else this.timer ??= setTimeout(() => this.open('timed-out'), this.timeoutMs);
  }

  open(how: 'opened' | 'timed-out'): void {
    if (this.state !== 'closed') return;
    this.state = how;
    clearTimeout(this.timer);
    for (const respond of this.held.splice(0)) respond();
  }
}
