import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { actor, spawn } from '@troupe/runtime';

// The README's async example: a server the program starts, and a URL built from its port.
const server = http.createServer((_, res) => res.end('ok'));
server.listen(0);
await once(server, 'listening');
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const retries = 3;

@actor({ maxConcurrency: 4 })
export class Fetcher {
  async get(path: string): Promise<number> {
    for (let i = 0; i < retries; i++) {
      const res = await fetch(`${base}/${path}`); // expect TROUPE107
      if (res.ok) return res.status;
    }
    return 0;
  }
}

console.log(await spawn(Fetcher).get('x'));
