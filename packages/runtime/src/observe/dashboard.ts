/**
 * `serveDashboard()`: a page listing the live actors, per-method latency and a strip of recent
 * calls, updated over server-sent events. Plain `node:http`, one inline page (dashboard-page.ts).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listActors } from '../supervisor/owned.js';
import { configure, settings } from './configure.js';
import { DASHBOARD_PAGE } from './dashboard-page.js';
import { actorMemory } from './hosts.js';
import { epochMicros } from './layout.js';
import { metrics } from './metrics.js';
import { timeline } from './timeline.js';

/** Options of `serveDashboard()`. */
export interface DashboardOptions {
  /** The port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** The interface to listen on: keep it local unless you mean to share it. @default '127.0.0.1' */
  host?: string;
  /** How often the page is updated, in ms. @default 500 */
  intervalMs?: number;
  /**
   * Record the timeline (`configure({ timeline: true })`) for the page's strip of recent calls,
   * in actors spawned from now on.
   *
   * @default true
   */
  timeline?: boolean;
}

export interface Dashboard {
  /** The page's address, `http://127.0.0.1:port/`. */
  readonly url: string;
  /** Stops serving and ends the page's updates. */
  close(): Promise<void>;
}

/** How far back the strip of recent calls reaches (µs). */
const WINDOW_US = 10_000_000;

/** What the page shows, sent as one JSON event. */
function snapshot() {
  const groups = metrics();
  const nowUs = epochMicros();
  const origin = performance.timeOrigin * 1000;
  const recent = settings.timeline ? timeline() : [];
  const names = new Map<number, { label: string; kind: string }>();
  for (const e of recent) {
    if (e.ph === 'M' && e.name === 'process_name') {
      const [label, kind] = String(e.args?.name).split(' (');
      names.set(e.pid, { label: label ?? '', kind: (kind ?? '').replace(')', '') });
    }
  }
  const tracks = new Map<
    string,
    { label: string; kind: string; calls: [number, number, boolean][] }
  >();
  for (const e of recent) {
    if (e.ph !== 'X' || e.ts === undefined || e.dur === undefined) continue;
    const ts = e.ts + origin;
    if (ts + e.dur < nowUs - WINDOW_US) continue;
    const key = `${e.pid}/${e.tid}`;
    let track = tracks.get(key);
    if (track === undefined) {
      const actor = names.get(e.pid);
      track = {
        label: `${actor?.label ?? e.pid} ${actor?.kind === 'serial' ? '' : `#${e.tid}`}`.trim(),
        kind: actor?.kind ?? 'serial',
        calls: [],
      };
      tracks.set(key, track);
    }
    track.calls.push([ts, e.dur, e.args?.outcome === 'error']);
  }
  return {
    at: Date.now(),
    recording: settings.timeline,
    nowUs,
    windowUs: WINDOW_US,
    actors: listActors().map((a) => ({ ...a, class: actorMemory(a.id)?.className ?? '' })),
    methods: groups.flatMap((g) =>
      g.methods.map((m) => ({
        actor: g.actor,
        method: m.method,
        ok: m.calls.ok,
        error: m.calls.error,
        cancelled: m.calls.cancelled,
        p50: m.runTime.p50,
        p90: m.runTime.p90,
        p99: m.runTime.p99,
        queueP99: m.queueWait.p99,
      })),
    ),
    tracks: [...tracks.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, t]) => t),
  };
}

/**
 * Serves a live page of this thread's actors: each actor's kind, threads, queued, running, done,
 * failed and restarts; per-method counts and latency; a strip of the last 10 s of calls per actor
 * and track. It needs nothing from the internet and no build step.
 *
 * @example
 * const dashboard = await serveDashboard({ port: 8080 });
 * console.log(`dashboard at ${dashboard.url}`);
 * // … await dashboard.close();
 */
export async function serveDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const { port = 0, host = '127.0.0.1', intervalMs = 500, timeline: record = true } = options;
  if (record && !settings.timeline) configure({ timeline: true });
  const clients = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
      });
      res.end(DASHBOARD_PAGE);
    } else if (path === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(`data: ${JSON.stringify(snapshot())}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    } else if (path === '/snapshot.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(snapshot()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  const timer = setInterval(() => {
    if (clients.size === 0) return;
    const data = `data: ${JSON.stringify(snapshot())}\n\n`;
    for (const client of clients) client.write(data);
  }, intervalMs);
  timer.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  // The page must not hold the process open once the program is done.
  server.unref();
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const client of clients) client.end();
        clients.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
