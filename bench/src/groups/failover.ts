import type * as Cluster from '@troupe/cluster';
import type * as App from '../../cluster-app/dist/actors.js';
import { natsServerBinary, noNatsServer, startNats, startNode } from '../contenders/nats.js';
import type { Child } from '../contenders/process.js';
import { loadTroupe } from '../contenders/troupe.js';
import { errorRow, type Figure } from '../figures.js';
import { now, type Settings, withTimeout } from '../harness.js';
import { clusterAppFile } from '../paths.js';
import { stats } from '../stats.js';

const group = 'failover';

/** The cluster's liveness settings here (ms): the test settings, short and configurable. */
const TIMINGS = { heartbeatMs: 100, leaseMs: 700, suspectMs: 1400 };
const FLAGS = [
  '--heartbeat-ms',
  String(TIMINGS.heartbeatMs),
  '--lease-ms',
  String(TIMINGS.leaseMs),
  '--suspect-ms',
  String(TIMINGS.suspectMs),
];

/** Ray's default: a node is declared dead after about 30 s without its health checks. */
const RAY_DETECTION_MS = 30_000;

/**
 * How long a restartable actor is out of service when its node fails: from `kill -9` (or
 * `SIGSTOP`) of the node hosting it to the answer of a call made right then (retried, so it
 * waits for the next incarnation on the other node). The group starts a nats-server and two
 * `troupe-node` processes and ends them by PID.
 */
export async function run(settings: Settings): Promise<Figure[]> {
  const rounds = settings.quick ? 2 : Math.min(settings.rounds, 5);
  const binary = natsServerBinary();
  if (binary === undefined) {
    return ['after kill -9', 'after SIGSTOP'].map((what) =>
      errorRow(group, `failover ${what}`, new Error(noNatsServer())),
    );
  }
  const started: { stop(): Promise<void> }[] = [];
  const samples = { kill: [] as number[], stop: [] as number[] };
  let failure: unknown;
  try {
    const nats = await startNats(binary);
    started.push(nats);
    const app = (await import(clusterAppFile('actors.js').href)) as typeof App;
    const { rt } = await loadTroupe();
    const cluster: typeof Cluster = await import('@troupe/cluster');
    const nodes = new Map<string, Child>();
    const startOne = async (id: string) => {
      const child = await startNode(nats.url, id, 4, [], FLAGS);
      nodes.set(id, child);
      started.push(child);
    };
    await Promise.all(['fo-a', 'fo-b'].map(startOne));
    await cluster.connect({ servers: nats.url, name: 'troupe-bench-failover', ...TIMINGS });
    started.push({ stop: () => cluster.disconnect() });
    const live = (id: string) => cluster.listNodes().some((node) => node.id === id);
    for (let round = 0; round < rounds * 2; round++) {
      const how = round % 2 === 0 ? 'kill' : 'stop';
      const victim = round % 4 < 2 ? 'fo-a' : 'fo-b';
      await until(() => live('fo-a') && live('fo-b'));
      const echo = rt.spawn(app.Echo, { placement: { node: victim }, maxRestarts: -1 });
      await echo.echo(0);
      const child = nodes.get(victim) as Child;
      const t0 = now();
      if (how === 'kill') process.kill(child.pid, 'SIGKILL');
      else process.kill(child.pid, 'SIGSTOP');
      await withTimeout(
        echo.echo.options({ maxTaskRetries: -1 })(round),
        30_000,
        `a call after ${how} of ${victim}`,
      );
      samples[how].push(now() - t0);
      if (how === 'stop') process.kill(child.pid, 'SIGKILL');
      await child.stop().catch(() => {});
      await rt.kill(echo);
      await startOne(victim);
    }
  } catch (error) {
    failure = error;
  } finally {
    for (const one of started.reverse()) {
      await withTimeout(one.stop(), 15_000, 'stopping the failover group').catch(() => {});
    }
  }
  const settingsNote = `heartbeat ${TIMINGS.heartbeatMs} ms, lease ${TIMINGS.leaseMs} ms, suspicion ${TIMINGS.suspectMs} ms; Ray declares a node dead after about ${RAY_DETECTION_MS / 1000} s by default`;
  return (['kill', 'stop'] as const).map((how) => {
    const name = `failover after ${how === 'kill' ? 'kill -9' : 'SIGSTOP'} of the node, to the next answer`;
    if (samples[how].length === 0) {
      return errorRow(group, name, failure ?? new Error('not measured'));
    }
    const s = stats(samples[how]);
    return {
      group,
      name,
      unit: 'ms',
      stats: s,
      baseline: { name: 'goal', median: 2000, unit: 'ms' },
      ratioLabel: 'x goal',
      ratio: s.median / 2000,
      ratioSpread: [s.min / 2000, s.max / 2000],
      target: { text: '< 2 s at test settings', met: s.median < 2000 },
      note: settingsNote,
    } satisfies Figure;
  });
}

async function until(done: () => boolean): Promise<void> {
  const deadline = now() + 30_000;
  while (!done()) {
    if (now() > deadline) throw new Error('the nodes did not appear within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
