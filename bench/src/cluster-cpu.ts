/**
 * Where a call on a cluster node spends its time, by CPU time per call in each process and
 * thread: this process (the driver), nats-server, troupe-node's main thread, its busiest other
 * thread (the actor's worker) and the rest of its threads (GC, V8 platform, libuv); beside the
 * same counts for the raw TCP and raw NATS echoes. CPU time is read from /proc (Linux only), so
 * it holds up on a loaded machine better than wall time does: on a loaded machine, a sequential
 * call's wall time is about the sum of the CPU times along its chain plus one scheduling delay
 * per hand-off between processes or threads.
 *
 *   node bench/dist/cluster-cpu.js [--mode sequential|pipelined] [--calls n] [--rounds n]
 *                                  [--cpu-prof dir]
 *
 * --cpu-prof writes V8 CPU profiles of troupe-node (all its threads) into `dir`, for a look at
 * the functions; the driver's own profile comes from running this with node --cpu-prof.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { EchoClient } from './contenders/client.js';
import { natsServerBinary, noNatsServer, startNats, startNode } from './contenders/nats.js';
import { NatsEcho } from './contenders/nats-echo.js';
import { TcpEcho } from './contenders/tcp.js';
import { loadTroupe } from './contenders/troupe.js';
import { now } from './harness.js';
import { clusterAppFile } from './paths.js';
import { stats } from './stats.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'sequential' },
    calls: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    'cpu-prof': { type: 'string' },
  },
});
const pipelinedMode = values.mode === 'pipelined';
if (!pipelinedMode && values.mode !== 'sequential') {
  console.error('cluster-cpu: --mode is sequential or pipelined');
  process.exit(2);
}
const calls = Number(values.calls ?? (pipelinedMode ? 200_000 : 10_000));
const rounds = Number(values.rounds);
const BATCH = 5_000;

/** CPU ms of each thread of `pid`, by thread id. */
function threadTimes(pid: number): Map<number, number> {
  const times = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime, in clock ticks (USER_HZ, 100 on Linux).
      times.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return times;
}

/** A process to account for: its main thread, its busiest other thread, the rest. */
interface Watched {
  label: string;
  pid: number;
  split: boolean;
}

function snapshot(watched: Watched[]): Map<number, Map<number, number>> {
  return new Map(watched.map((w) => [w.pid, threadTimes(w.pid)]));
}

/** CPU µs per call, by column, between two snapshots. */
function cpuPerCall(
  watched: Watched[],
  before: Map<number, Map<number, number>>,
  after: Map<number, Map<number, number>>,
  n: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of watched) {
    const b = before.get(w.pid) ?? new Map<number, number>();
    const deltas = [...(after.get(w.pid) ?? new Map<number, number>())].map(
      ([tid, ms]) => [tid, ms - (b.get(tid) ?? 0)] as const,
    );
    const us = (ms: number) => (ms * 1000) / n;
    if (!w.split) {
      out[w.label] = us(deltas.reduce((sum, [, ms]) => sum + ms, 0));
      continue;
    }
    const main = deltas.find(([tid]) => tid === w.pid)?.[1] ?? 0;
    const others = deltas.filter(([tid]) => tid !== w.pid).sort((x, y) => y[1] - x[1]);
    out[`${w.label} main`] = us(main);
    out[`${w.label} busiest other thread`] = us(others[0]?.[1] ?? 0);
    out[`${w.label} other threads`] = us(others.slice(1).reduce((sum, [, ms]) => sum + ms, 0));
  }
  return out;
}

async function drive(client: EchoClient, n: number): Promise<void> {
  if (!pipelinedMode) {
    for (let i = 0; i < n; i++) await client.echo(i);
    return;
  }
  const pending = new Array<Promise<unknown>>(BATCH);
  for (let done = 0; done < n; done += BATCH) {
    for (let i = 0; i < BATCH; i++) pending[i] = client.echo(i);
    await Promise.all(pending);
  }
}

const binary = natsServerBinary();
if (binary === undefined) {
  console.error(`cluster-cpu: ${noNatsServer()}`);
  process.exit(1);
}
const stops: (() => Promise<void>)[] = [];
try {
  const nats = await startNats(binary);
  stops.push(() => nats.stop());
  const profDir = values['cpu-prof'];
  const node = await startNode(
    nats.url,
    'cpu-node',
    8,
    profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  );
  stops.push(() => node.stop());
  const tcp = await TcpEcho.start();
  stops.push(() => tcp.stop());
  const natsEcho = await NatsEcho.start(nats.url);
  stops.push(() => natsEcho.stop());
  const cluster = await import('@troupe/cluster');
  await cluster.connect({ servers: nats.url, name: 'troupe-bench-cpu' });
  stops.push(() => cluster.disconnect());
  while (!cluster.listNodes().some((n) => n.id === 'cpu-node')) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { rt } = await loadTroupe();
  const app = (await import(
    clusterAppFile('actors.js').href
  )) as typeof import('../cluster-app/dist/actors.js');
  const onNode = { placement: { node: 'cpu-node' } } as const;
  const serial = rt.spawn(app.Echo, onNode);
  const async_ = rt.spawn(app.AsyncEcho, onNode);
  const local = rt.spawn(app.Echo, { placement: 'local' });
  await Promise.all([serial.ready(), async_.ready(), local.ready()]);
  stops.push(async () => {
    await rt.kill(local);
    await rt.shutdown();
  });

  const driver: Watched = { label: 'driver', pid: process.pid, split: true };
  const natsServer: Watched = { label: 'nats-server', pid: nats.pid, split: false };
  const nodeProcess: Watched = { label: 'node', pid: node.pid, split: true };
  const contenders: { name: string; client: EchoClient; watched: Watched[] }[] = [
    {
      name: 'raw TCP echo',
      client: tcp,
      watched: [driver, { label: 'TCP server', pid: tcp.server.pid, split: false }],
    },
    {
      name: 'raw NATS echo',
      client: natsEcho,
      watched: [
        driver,
        natsServer,
        { label: 'NATS responder', pid: natsEcho.responder.pid, split: false },
      ],
    },
    { name: 'Troupe serial, local', client: { echo: (x) => local.echo(x) }, watched: [driver] },
    {
      name: 'Troupe serial on a node',
      client: { echo: (x) => serial.echo(x) },
      watched: [driver, natsServer, nodeProcess],
    },
    {
      name: 'Troupe async on a node',
      client: { echo: (x) => async_.echo(x) },
      watched: [driver, natsServer, nodeProcess],
    },
  ];
  const samples = new Map<string, Record<string, number[]>>();
  for (let round = 0; round <= rounds; round++) {
    for (const c of contenders) {
      const n = round === 0 ? Math.min(calls, pipelinedMode ? 20_000 : 1_000) : calls;
      const before = snapshot(c.watched);
      const t0 = now();
      await drive(c.client, n);
      const wall = ((now() - t0) * 1000) / n;
      if (round === 0) continue; // warm-up
      const row = { wall, ...cpuPerCall(c.watched, before, snapshot(c.watched), n) };
      const s = samples.get(c.name) ?? {};
      for (const [k, v] of Object.entries(row)) {
        s[k] ??= [];
        s[k].push(v);
      }
      samples.set(c.name, s);
    }
  }
  console.log(
    `\n${values.mode}: ${calls} calls a round${pipelinedMode ? ` in batches of ${BATCH} made in one tick` : ' awaited one by one'}, ` +
      `median of ${rounds} rounds (min–max); µs per call: wall time, then CPU time by process and thread\n`,
  );
  for (const [name, s] of samples) {
    const cells = Object.entries(s).map(([k, v]) => {
      const st = stats(v);
      return `${k} ${st.median.toFixed(1)} (${st.min.toFixed(1)}–${st.max.toFixed(1)})`;
    });
    const cpu = Object.entries(s)
      .filter(([k]) => k !== 'wall')
      .reduce((sum, [, v]) => sum + stats(v).median, 0);
    console.log(`- ${name}: ${cells.join('; ')}; CPU in all ${cpu.toFixed(1)}`);
  }
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
}
