/**
 * Partitions (issue 16): each node reaches NATS through its own TCP proxy, which a test cuts
 * (connections end, new ones are refused), black-holes (sockets stay open, nothing is carried) or
 * delays. A partitioned node's actor moves; every promise settles once; retried calls are exact;
 * a call reported as may-have-run never runs later; and the partitioned node, healed, runs no call
 * after its lease and ends its stale actor. Counted by an execution log the actor writes as each
 * call starts, never by timings.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, disconnect, listNodes } from '@troupe/cluster';
import { ActorDiedError, kill, listActors, spawn } from '@troupe/runtime';
import { Journal } from './cluster/app/dist/actors.js';
import {
  dropped,
  type NatsServer,
  natsServerBinary,
  type Running,
  startNats,
  startNode,
  timingFlags,
  waitUntil,
} from './support/nats.js';
import { TcpProxy } from './support/tcp-proxy.js';

const binary = natsServerBinary('tests/cluster-partitions.test.ts');
const suite = binary ? describe : describe.skip;
/** Test settings: heartbeat, lease, suspicion (ms). */
const TIMINGS = { heartbeatMs: 200, leaseMs: 2000, suspectMs: 4000 };
const nodeFlags = timingFlags(TIMINGS);
/**
 * The latency the delay test adds each way: a heartbeat's write takes two of them, a twentieth of
 * the lease, so no lease lapses and no node is suspected for it, however loaded the machine is.
 */
const DELAY_MS = TIMINGS.leaseMs / 40;
const IDS = ['p1', 'p2', 'p3'];
/** How long each call in flight at a partition keeps its actor busy (ten outlast the lease). */
const BUSY_MS = TIMINGS.leaseMs / 5;

let nats: NatsServer;
const nodes: Running[] = [];
const proxies = new Map<string, TcpProxy>();
let dir: string;

/** Waits for `done()`, checking at each heartbeat. */
const until = (done: () => boolean | Promise<boolean>) => waitUntil(done, TIMINGS.heartbeatMs);

function lines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function count(log: string[], id: number): number {
  return log.filter((line) => line === String(id)).length;
}

type Outcome = { value: number } | { error: unknown; logged: number };

/** The outcome of a call, and when it rejected, how many calls the log held then. */
function track(call: Promise<number>, log: string): Promise<Outcome> {
  return call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error, logged: lines(log).length }),
  );
}

/**
 * Spawns a restartable Journal on `node`, puts retried and once-only calls in flight, partitions
 * the node with `fault`, and checks: the actor moves to another node as incarnation 2, each
 * promise settles once, retried calls are exact, a call rejected as may-have-run is not run
 * after its rejection, and the node, healed, runs no call after its lease and ends its stale
 * actor. Returns what it counted, for the closing note.
 */
async function partitionWithCallsInFlight(
  node: string,
  fault: (proxy: TcpProxy) => void,
): Promise<{ ranTwice: number; rejected: number; ranOnce: number }> {
  const proxy = proxies.get(node) as TcpProxy;
  const file = path.join(dir, `${node}.log`);
  const journal = spawn(Journal, { args: [file], placement: { node }, maxRestarts: 1 });
  expect(await journal.work(0, 0)).toBe(0);
  // Ten calls of BUSY_MS queued: together they outlast the lease, so the fence holds the last.
  const retried = Array.from({ length: 5 }, (_, i) =>
    journal.work.options({ maxTaskRetries: 1 })(i + 1, BUSY_MS),
  );
  const once = Array.from({ length: 5 }, (_, i) => track(journal.work(i + 11, BUSY_MS), file));
  // The first has started: the others wait in the actor's queue, on the node.
  await until(() => lines(file).length >= 2);
  fault(proxy);

  // Retried calls are exact, answered by the next incarnation on another node.
  expect(await Promise.all(retried)).toEqual([1, 2, 3, 4, 5]);
  const outcomes = await Promise.all(once);
  // The node stopped serving before its calls were given up: its lease (counted from before
  // its last record) lapsed, and no record from it came since.
  const fenced = lines(file);
  let rejected = 0;
  outcomes.forEach((outcome, i) => {
    const id = i + 11;
    if ('value' in outcome) {
      expect(outcome.value).toBe(id);
      expect(count(fenced, id)).toBe(1);
      return;
    }
    rejected++;
    expect(outcome.error).toBeInstanceOf(ActorDiedError);
    expect((outcome.error as ActorDiedError).mayHaveRun).toBe(true);
    // May have run: before it was rejected, never after.
    expect(count(fenced.slice(outcome.logged), id)).toBe(0);
    expect(count(fenced, id)).toBeLessThanOrEqual(1);
  });
  for (let id = 1; id <= 5; id++) {
    expect(count(fenced, id)).toBeGreaterThanOrEqual(1);
    expect(count(fenced, id)).toBeLessThanOrEqual(2);
  }
  const moved = listActors().find((actor) => actor.incarnation === 2);
  expect(moved?.node).toBeDefined();
  expect(moved?.node).not.toBe(node);

  // Healed, the node renews its lease, ends the actor its owner moved, and runs nothing it held.
  proxy.heal();
  await until(() => {
    const back = listNodes().find((n) => n.id === node);
    return back !== undefined && back.actors.length === 0;
  });
  expect(lines(file)).toEqual(fenced);
  // The actor serves on from its second incarnation.
  expect(await journal.work(100, 0)).toBe(100);
  await kill(journal);
  const ranTwice = [1, 2, 3, 4, 5].filter((id) => count(fenced, id) === 2).length;
  const ranOnce = [11, 12, 13, 14, 15].filter((id) => count(fenced, id) === 1).length;
  return { ranTwice, rejected, ranOnce };
}

suite('partitions through a TCP proxy per node', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-partitions-'));
    nats = await startNats(binary as string);
    for (const id of IDS) proxies.set(id, await TcpProxy.start({ port: nats.port }));
    nodes.push(
      ...(await Promise.all(
        IDS.map((id) => startNode((proxies.get(id) as TcpProxy).url, id, nodeFlags)),
      )),
    );
    await connect({ servers: nats.url, ...TIMINGS });
    await until(() => listNodes().length === IDS.length);
  }, 240_000);

  afterAll(async () => {
    await disconnect();
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await Promise.all([...proxies.values()].map((proxy) => proxy.close()));
    await nats?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test('cut: the node loses its connection with calls in flight; its actor moves, and healed it runs nothing stale', async () => {
    const counted = await partitionWithCallsInFlight('p1', (proxy) => proxy.cut());
    console.log(
      `cluster partitions, cut: ${counted.ranTwice} of 5 retried calls ran twice, ` +
        `${counted.rejected} of 5 once-only calls rejected as may-have-run (${counted.ranOnce} of 5 ran), 0 ran after the lease`,
    );
  }, 120_000);

  test('black hole: the connection stays open and carries nothing; the lease fences the node as after SIGSTOP', async () => {
    const counted = await partitionWithCallsInFlight('p2', (proxy) => proxy.blackhole());
    console.log(
      `cluster partitions, black hole: ${counted.ranTwice} of 5 retried calls ran twice, ` +
        `${counted.rejected} of 5 once-only calls rejected as may-have-run (${counted.ranOnce} of 5 ran), 0 ran after the lease`,
    );
  }, 120_000);

  test('delay well under the lease: calls are slower, all exact, run once, and nothing moves', async () => {
    const proxy = proxies.get('p3') as TcpProxy;
    const file = path.join(dir, 'p3.log');
    const journal = spawn(Journal, { args: [file], placement: { node: 'p3' }, maxRestarts: 1 });
    expect(await journal.work(0, 0)).toBe(0);
    proxy.delay(DELAY_MS);
    const values = await Promise.all(Array.from({ length: 50 }, (_, i) => journal.work(i + 1, 5)));
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // Through several heartbeats (each a delayed write): still its first incarnation, on p3.
    const records = () => listNodes().find((node) => node.id === 'p3');
    for (let round = 0; round < 3; round++) {
      const before = records()?.actors[0]?.done ?? 0;
      for (let i = 0; i < 5; i++)
        expect(await journal.work(100 + round * 5 + i, 0)).toBe(100 + round * 5 + i);
      await until(() => (records()?.actors[0]?.done ?? 0) > before);
    }
    const listed = listActors().find((actor) => actor.node !== undefined);
    expect(listed?.node).toBe('p3');
    expect(listed?.incarnation).toBe(1);
    expect(IDS.every((id) => listNodes().some((node) => node.id === id))).toBe(true);
    proxy.heal();
    const log = lines(file);
    expect(log.length).toBe(1 + 50 + 15);
    expect(new Set(log).size).toBe(log.length);
    expect(proxy.carried.down).toBeGreaterThan(0);
    await kill(journal);
  }, 120_000);

  test('a short cut, healed within the lease: calls sent while the node was away reached no one; they go once it is back, and each runs once', async () => {
    const proxy = proxies.get('p3') as TcpProxy;
    const file = path.join(dir, 'p3-short.log');
    const journal = spawn(Journal, { args: [file], placement: { node: 'p3' } });
    const witness = spawn(Journal, {
      args: [path.join(dir, 'witness.log')],
      placement: { node: 'p1' },
    });
    expect(await journal.work(0, 0)).toBe(0);
    expect(await witness.work(0, 0)).toBe(0);
    proxy.cut();
    await dropped(nats.url, 'p3');
    const sent = Array.from({ length: 5 }, (_, i) => track(journal.work(i + 1, 0), file));
    // Sent after them on this process's connection: its answer comes after the server's "no
    // responders" to theirs.
    expect(await witness.work(1, 0)).toBe(1);
    proxy.heal();
    const outcomes = await Promise.all(sent);
    const log = lines(file);
    outcomes.forEach((outcome, i) => {
      const id = i + 1;
      if ('value' in outcome) {
        expect(outcome.value).toBe(id);
        expect(count(log, id)).toBe(1);
        return;
      }
      // Its node was taken for dead meanwhile (a loaded machine): it did not run, and says so.
      expect(outcome.error).toBeInstanceOf(ActorDiedError);
      expect((outcome.error as ActorDiedError).mayHaveRun).toBe(false);
      expect(count(log, id)).toBe(0);
    });
    await Promise.all([kill(journal), kill(witness)]);
  }, 120_000);
});
