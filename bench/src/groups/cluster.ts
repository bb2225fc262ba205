import type * as Cluster from '@troupe/cluster';
import type { ActorHandle } from '@troupe/runtime';
import type * as App from '../../cluster-app/dist/actors.js';
import type { EchoClient } from '../contenders/client.js';
import { natsServerBinary, noNatsServer, startNats, startNode } from '../contenders/nats.js';
import { natsEcho } from '../contenders/nats-echo.js';
import { tcpEcho } from '../contenders/tcp.js';
import { loadTroupe, type Troupe } from '../contenders/troupe.js';
import { type Figure, figure } from '../figures.js';
import {
  type Contender,
  now,
  pipelined,
  runRounds,
  type Settings,
  sequential,
  withTimeout,
} from '../harness.js';
import { clusterAppFile } from '../paths.js';

const group = 'cluster';
const NODE = 'bench-node';

/** Ray's published microbenchmarks (release tests, many-core cloud machines), in calls/s. */
const RAY = { sync: 2_012, async: 8_664 };

const DESIGN =
  'driver -> NATS -> troupe-node main thread -> actor worker thread (workers do not talk NATS ' +
  'directly: the <= 2.5x target of that design does not apply)';

/**
 * Troupe across processes over NATS, beside a raw TCP echo between two processes measured in
 * the same run: call latency, pipelined throughput with and without per-tick batching, and
 * spawning on a node against spawning here. The group starts its own nats-server (JetStream, a
 * temporary store, a free port) and one `troupe-node`, and ends both by PID, also on failure.
 */
export async function run(settings: Settings): Promise<Figure[]> {
  const calls = { sequential: 500, pipelined: 5_000, perTick: 1_000 };
  const minMs = settings.quick ? 100 : 300;
  const spawns = settings.quick ? 4 : 8;

  // The actors first: the local rows do not need NATS.
  let app: typeof App | undefined;
  let noApp: unknown;
  try {
    app = (await import(clusterAppFile('actors.js').href)) as typeof App;
  } catch (error) {
    noApp = error;
  }

  // Everything started here is stopped in reverse order at the end, whatever happens between.
  const started: { stop(): Promise<void> }[] = [];
  let noCluster: unknown;
  let natsUrl: string | undefined;
  try {
    const binary = natsServerBinary();
    if (binary === undefined) throw new Error(noNatsServer());
    const nats = await startNats(binary);
    started.push(nats);
    natsUrl = nats.url;
    if (app === undefined) throw noApp;
    // Threads for the spawn figure's actors, all alive until the end of their round.
    started.push(await startNode(nats.url, NODE, spawns + 8));
    const cluster: typeof Cluster = await import('@troupe/cluster');
    await cluster.connect({ servers: nats.url, name: 'troupe-bench' });
    started.push({ stop: () => cluster.disconnect() });
    await until(
      () => cluster.listNodes().some((node) => node.id === NODE),
      10_000,
      `node ${NODE} in listNodes()`,
    );
  } catch (error) {
    noCluster = error;
  }

  try {
    return await measure(settings, { calls, minMs, spawns }, { app, noApp, noCluster, natsUrl });
  } finally {
    for (const one of started.reverse()) {
      await withTimeout(one.stop(), 15_000, 'stopping the cluster group').catch(() => {});
    }
  }
}

/** How much each round does. */
interface Sizes {
  calls: { sequential: number; pipelined: number; perTick: number };
  minMs: number;
  /** Actors spawned one after another per round. */
  spawns: number;
}

/** The cluster's actors, or why they cannot be loaded; why the cluster cannot be measured. */
interface Setup {
  app: typeof App | undefined;
  noApp: unknown;
  noCluster: unknown;
  /** The group's nats-server, if it started (else `noCluster` says why). */
  natsUrl: string | undefined;
}

async function measure(
  settings: Settings,
  { calls, minMs, spawns }: Sizes,
  setup: Setup,
): Promise<Figure[]> {
  /** The runtime and the actors; rows that need the cluster fail with why it is not there. */
  const ready = (remote: boolean): { t: Promise<Troupe>; app: typeof App } => {
    if (setup.app === undefined) throw setup.noApp;
    if (remote && setup.noCluster !== undefined) throw setup.noCluster;
    return { t: loadTroupe(), app: setup.app };
  };

  /** An echo actor of bench/cluster-app, on the node or here. */
  const actor = (
    name: string,
    remote: boolean,
    spawnOne: (rt: Troupe['rt'], a: typeof App) => ActorHandle<App.Echo | App.AsyncEcho>,
  ): Contender<EchoClient> => ({
    name,
    async start() {
      const { t, app: a } = ready(remote);
      const { rt } = await t;
      const handle = spawnOne(rt, a);
      await handle.ready();
      return { client: { echo: (x) => handle.echo(x) }, stop: () => rt.kill(handle) };
    },
  });
  const onNode = { placement: { node: NODE } } as const;
  const serial = actor('Troupe serial on a node', true, (rt, a) => rt.spawn(a.Echo, onNode));
  const async_ = actor('Troupe async on a node', true, (rt, a) => rt.spawn(a.AsyncEcho, onNode));
  const local = actor("Troupe serial, local (this process's worker)", false, (rt, a) =>
    rt.spawn(a.Echo, { placement: 'local' }),
  );
  const nats = natsEcho(() => {
    if (setup.natsUrl === undefined) throw setup.noCluster;
    return setup.natsUrl;
  });
  const contenders = [tcpEcho, nats, serial, async_, local];

  const outcomes = await runRounds(
    contenders,
    {
      sequential: async (c) => {
        const us = await sequential(calls.sequential, minMs, (i) => c.echo(i));
        return { sequential: us, sequentialRate: 1e6 / us };
      },
      pipelined: (c) => pipelined(calls.pipelined, minMs, (i) => c.echo(i)),
      perTick: (c) => onePerTick(calls.perTick, minMs, (i) => c.echo(i)),
    },
    settings,
  );

  // Spawning: `spawns` actors one after another, each awaited until ready.
  type SpawnOne = () => Promise<() => Promise<void>>;
  const spawner = (
    name: string,
    options: Parameters<Troupe['rt']['spawn']>[1],
  ): Contender<SpawnOne> => ({
    name,
    async start() {
      const { t, app: a } = ready(options?.placement !== 'local');
      const { rt } = await t;
      const spawnOne: SpawnOne = async () => {
        const handle = rt.spawn(a.Echo, options);
        await handle.ready();
        return () => rt.kill(handle);
      };
      return { client: spawnOne, stop: async () => {} };
    },
  });
  const spawnLocal = spawner("spawn + ready(), serial actor, local (this process's worker)", {
    placement: 'local',
  });
  const spawnNode = spawner('spawn + ready(), serial actor on a node', onNode);
  const spawnOutcomes = await runRounds(
    [spawnLocal, spawnNode],
    {
      spawn: async (spawnOne) => {
        const kills: (() => Promise<void>)[] = [];
        let elapsed = 0;
        try {
          for (let i = 0; i < spawns; i++) {
            const t0 = now();
            kills.push(await spawnOne());
            elapsed += now() - t0;
          }
        } finally {
          await Promise.all(kills.map((kill) => kill()));
        }
        return elapsed / spawns;
      },
    },
    settings,
  );

  const tcp = { name: tcpEcho.name, outcome: outcomes.get(tcpEcho.name) };
  const raw = { name: nats.name, outcome: outcomes.get(nats.name) };
  const rows: Figure[] = [];
  const remote = [serial.name, async_.name];

  /** One metric: the TCP baseline, raw NATS and the local actor beside it, then Troupe on a node. */
  const section = (
    what: string,
    metric: string,
    unit: string,
    notes: { tcp: string; nats: string; troupe: string },
    target: { text: string; test: (ratio: number) => boolean } | undefined,
    withLocal: boolean,
  ): void => {
    rows.push(
      figure({
        group,
        name: `${what}, ${tcp.name}`,
        unit,
        outcome: tcp.outcome,
        metric,
        note: notes.tcp,
      }),
      figure({
        group,
        name: `${what}, ${raw.name}`,
        unit,
        outcome: raw.outcome,
        metric,
        baseline: tcp,
        ratioLabel: 'x TCP',
        note: notes.nats,
      }),
    );
    if (withLocal) {
      rows.push(
        figure({
          group,
          name: `${what}, ${local.name}`,
          unit,
          outcome: outcomes.get(local.name),
          metric,
          baseline: tcp,
          ratioLabel: 'x TCP',
          note: 'information: the worker hop alone, which a call on a node makes too',
        }),
      );
    }
    for (const name of remote) {
      rows.push(
        figure({
          group,
          name: `${what}, ${name}`,
          unit,
          outcome: outcomes.get(name),
          metric,
          baseline: tcp,
          ratioLabel: 'x TCP',
          target,
          note: notes.troupe,
        }),
      );
    }
    // Troupe's own cost, over what NATS costs by itself.
    rows.push(
      figure({
        group,
        name: `${what}, ${serial.name} vs raw NATS`,
        unit,
        outcome: outcomes.get(serial.name),
        metric,
        baseline: raw,
        ratioLabel: 'x NATS',
        note: 'information: what the node hop (main thread and worker) and the codec add to NATS',
      }),
    );
  };

  section(
    'sequential round trip',
    'sequential',
    'µs/call',
    {
      tcp: `${calls.sequential} calls awaited one by one, >= ${minMs} ms a round; 16-byte frames, Nagle off`,
      nats: 'information: the floor of any design on NATS (driver -> nats-server -> responder)',
      troupe: DESIGN,
    },
    { text: '<= 4x TCP', test: (r) => r <= 4 },
    true,
  );
  section(
    'pipelined, batched per tick',
    'pipelined',
    'calls/s',
    {
      tcp: `${calls.pipelined} calls made in one tick, their frames in one write; the server answers each read in one write`,
      nats: "information: one NATS message per call (nats.js writes one tick's messages in one write)",
      troupe: `${calls.pipelined} calls made in one tick: one batch, one NATS message each way`,
    },
    { text: '>= 0.5x TCP', test: (r) => r >= 0.5 },
    true,
  );
  section(
    'pipelined, one call per tick',
    'perTick',
    'calls/s',
    {
      tcp: `${calls.perTick} calls, each made after the previous one's tick, then awaited together`,
      nats: 'information: one NATS message per call each way',
      troupe: 'information: no target; one NATS message per call each way',
    },
    undefined,
    false,
  );

  // Spawning on a node against spawning here.
  rows.push(
    figure({
      group,
      name: spawnLocal.name,
      unit: 'ms/actor',
      outcome: spawnOutcomes.get(spawnLocal.name),
      metric: 'spawn',
      note: `${spawns} actors one after another, killed after the round`,
    }),
    figure({
      group,
      name: spawnNode.name,
      unit: 'ms/actor',
      outcome: spawnOutcomes.get(spawnNode.name),
      metric: 'spawn',
      baseline: { name: spawnLocal.name, outcome: spawnOutcomes.get(spawnLocal.name) },
      ratioLabel: 'x local',
      target: { text: '<= 1.5x local', test: (r) => r <= 1.5 },
      note: `${spawns} actors one after another; placement, the node's control request, its directory write and its worker`,
    }),
  );

  // Beside Ray's published figures (another machine and setup: a reading aid, not a target).
  rows.push(
    figure({
      group,
      name: `sequential calls/s, ${serial.name}, vs Ray 1:1 sync actor calls`,
      unit: 'calls/s',
      outcome: outcomes.get(serial.name),
      metric: 'sequentialRate',
      ideal: { name: "Ray's published 1:1 actor calls sync", value: RAY.sync },
      ratioLabel: 'x Ray',
      note: "Ray's figure is from its release microbenchmarks on another machine",
    }),
    figure({
      group,
      name: `pipelined calls/s, ${serial.name}, vs Ray 1:1 async actor calls`,
      unit: 'calls/s',
      outcome: outcomes.get(serial.name),
      metric: 'pipelined',
      ideal: { name: "Ray's published 1:1 actor calls async", value: RAY.async },
      ratioLabel: 'x Ray',
      note: "Ray's figure is from its release microbenchmarks on another machine",
    }),
  );
  return rows;
}

/**
 * `n` calls, each made in a tick of its own (after the previous call's batch has gone out), then
 * awaited together, repeated until `minMs`: calls per second with one message per call.
 */
async function onePerTick(
  n: number,
  minMs: number,
  call: (i: number) => Promise<unknown>,
): Promise<number> {
  const pending = new Array<Promise<unknown>>(n);
  let done = 0;
  const t0 = now();
  do {
    for (let i = 0; i < n; i++) {
      pending[i] = call(i);
      // The call's flush (a microtask queued by the call) runs before this continues.
      await undefined;
    }
    await Promise.all(pending);
    done += n;
  } while (now() - t0 < minMs);
  return done / ((now() - t0) / 1000);
}

async function until(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = now();
  while (!test()) {
    if (now() - t0 > timeoutMs) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
