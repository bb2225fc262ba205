/**
 * The flag actors. This module has no top-level effects: every actor thread imports it.
 * Each `download` fetches one flag, writes it to `dir` and returns its size in bytes.
 *
 * Every actor first fetches `/ping` through the same code (request, body, file write): a fresh
 * thread's first download pays for loading and compiling the HTTP and file code and for opening
 * a connection, and that belongs to creation, as opening a database connection does. Sync actors
 * do it in the constructor; the async one starts it there and `connect()` awaits it.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { actor } from '@troupe/runtime';
import { enter, enterAsync, type InFlightGauge, leave } from '../common/in-flight.js';
import { BlockingHttpClient } from './blocking-http.js';
import { httpGet } from './http-get.js';

const WARM_UP_FILE = '.ping';

function fetchBlocking(client: BlockingHttpClient, url: string, path: string): number {
  const body = client.get(url);
  writeFileSync(path, body);
  return body.length;
}

async function fetchAsync(agent: Agent, url: string, path: string): Promise<number> {
  const body = await httpGet(url, agent);
  await writeFile(path, body);
  return body.length;
}

function warmUpBlocking(client: BlockingHttpClient, baseUrl: string, dir: string): void {
  fetchBlocking(client, `${baseUrl}/ping`, join(dir, WARM_UP_FILE));
  rmSync(join(dir, WARM_UP_FILE), { force: true });
}

/** Ray's regular actor: one blocking download at a time. */
@actor()
export class SyncFlagActor {
  private readonly client = new BlockingHttpClient();

  constructor(
    private readonly baseUrl: string,
    private readonly dir: string,
    private readonly gauge: InFlightGauge,
  ) {
    warmUpBlocking(this.client, baseUrl, dir);
  }

  download(cc: string): number {
    enter(this.gauge);
    try {
      return fetchBlocking(
        this.client,
        `${this.baseUrl}/flags/${cc}.png`,
        join(this.dir, `${cc}.png`),
      );
    } finally {
      leave(this.gauge);
    }
  }
}

/** Up to 20 downloads interleaved on one event loop, each awaiting the async HTTP client. */
@actor({ maxConcurrency: 20 })
export class AsyncFlagActor {
  // Keep-alive with no socket limit: twenty requests in flight need twenty sockets.
  private readonly agent = new Agent({ keepAlive: true });
  private readonly warmedUp: Promise<void>;

  constructor(
    private readonly baseUrl: string,
    private readonly dir: string,
    private readonly gauge: InFlightGauge,
  ) {
    const path = join(dir, WARM_UP_FILE);
    this.warmedUp = fetchAsync(this.agent, `${baseUrl}/ping`, path).then(() =>
      rm(path, { force: true }),
    );
    // A failure surfaces through connect(); until then it must not count as unhandled.
    this.warmedUp.catch(() => {});
  }

  /** Resolves once the warm-up fetch is done; call it after `ready()` (a constructor cannot wait). */
  async connect(): Promise<void> {
    await this.warmedUp;
  }

  async download(cc: string): Promise<number> {
    await enterAsync(this.gauge);
    try {
      return await fetchAsync(
        this.agent,
        `${this.baseUrl}/flags/${cc}.png`,
        join(this.dir, `${cc}.png`),
      );
    } finally {
      leave(this.gauge);
    }
  }
}

/** The sync actor's code, unchanged, on 20 threads: each replica blocks on its own download. */
@actor({ maxConcurrency: 20 })
export class ThreadedFlagActor extends SyncFlagActor {}
