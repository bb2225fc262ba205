import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FlagFile } from './images.js';

const PING_BODY = 'pong\n'.repeat(1000);

export interface FlagServer {
  /** `http://127.0.0.1:<port>`; flags are at `/flags/<CC>.png`, `/ping` answers at once. */
  baseUrl: string;
  /** Flag requests served, pings apart. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * Serves the flags on 127.0.0.1 and an ephemeral port, answering each request after `latencyMs`,
 * as a distant server would: the latency, not the bytes, is what concurrency can hide.
 */
export async function startFlagServer(files: FlagFile[], latencyMs: number): Promise<FlagServer> {
  const byPath = new Map(files.map((f) => [`/flags/${f.code}.png`, f]));
  let requests = 0;
  const server = createServer((req, res) => {
    if (req.url === '/ping') {
      // Answered at once, with a body like a flag's, so the actor's first request (its
      // connection, and the client code's first run) happens before the timed calls.
      res.writeHead(200, { 'content-type': 'text/plain' }).end(PING_BODY);
      return;
    }
    requests++;
    const file = byPath.get(req.url ?? '');
    setTimeout(() => {
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`no flag at ${req.url}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': file.png.length });
      res.end(file.png);
    }, latencyMs);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: async () => {
      // Keep-alive sockets from the actors' agents would hold `close` open until they time out.
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
