/**
 * A cluster on three NATS servers whose buckets keep three replicas (issue 16): losing one server
 * changes nothing a caller sees; losing two takes the registry's quorum away, so `spawn` rejects
 * with `ClusterUnavailableError` while the actors already placed serve until their nodes' leases
 * lapse (and run nothing after); with the servers back, everything resumes. Counted by an
 * execution log the actors write as each call starts, never by timings.
 *
 * A NATS cluster just started or healed says /healthz ok before it takes JetStream requests
 * through every server: a stream's new leader's interest in its subjects crosses the routes a
 * moment later, and until then a write through another server is answered "no responders"
 * (nats.js: "jetstream is not enabled"), or times out while the meta leader is elected. The
 * cluster's processes send such requests again for a bounded time (`persist` in
 * packages/cluster/src/directory.ts), and `nats.healthy()` waits for a put and get of every bucket
 * through every server, so that what this suite asserts is the registry's quorum, not that window.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ClusterUnavailableError, connect, disconnect, listNodes } from '@troupe/cluster';
import { ActorDiedError, getActor, kill, listActors, spawn } from '@troupe/runtime';
import { Journal } from './cluster/app/dist/actors.js';
import {
  bucketEntry,
  type ClusterServer,
  type NatsCluster,
  natsServerBinary,
  type Running,
  startNatsCluster,
  startNode,
  timingFlags,
  waitUntil,
  whereConnected,
} from './support/nats.js';

const binary = natsServerBinary('tests/cluster-quorum.test.ts');
const suite = binary ? describe : describe.skip;
/**
 * Heartbeat, lease, suspicion (ms). The lease outlasts a JetStream leader election (about 5 s on
 * nats-server 2.9 when the server leading a bucket goes: its writes fail meanwhile), so that
 * losing one server of three fences no node.
 */
const TIMINGS = { heartbeatMs: 250, leaseMs: 8000, suspectMs: 12000 };
const nodeFlags = [...timingFlags(TIMINGS), '--replicas', '3'];
const DRIVER = 'quorum-driver';

let nats: NatsCluster;
const nodes: Running[] = [];
let dir: string;

/** Waits for `done()`, checking at each heartbeat; rejects naming `what` after a minute. */
const until = (what: string, done: () => boolean | Promise<boolean>) =>
  waitUntil(done, TIMINGS.heartbeatMs, what, 60_000);

function lines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** The server `client` (a node's id, or the driver) is connected to, once it is. */
async function serverOf(client: string): Promise<ClusterServer> {
  let name: string | undefined;
  await until(`${client} connected to a server`, async () => {
    name = (await whereConnected(nats)).get(client);
    return name !== undefined;
  });
  return nats.servers.find((server) => server.name === name) as ClusterServer;
}

/**
 * Resolves once the registry takes writes: a spawn (which writes the actor directory) succeeds.
 * A NATS cluster just started or healed may still be settling its JetStream leaders.
 */
async function registryWritable(): Promise<void> {
  const log = path.join(dir, 'probe.log');
  await until('a spawn to succeed', async () => {
    try {
      const probe = spawn(Journal, { args: [log] });
      await probe.ready();
      await kill(probe);
      return true;
    } catch {
      return false;
    }
  });
}

suite('a NATS cluster of three: quorum lost and regained', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-quorum-'));
    nats = await startNatsCluster(binary as string, 3);
    await nats.healthy();
    // This process makes the buckets, three replicas each; the nodes open them.
    await connect({ servers: nats.urls, name: DRIVER, replicas: 3, ...TIMINGS });
    const servers = nats.urls.join(',');
    nodes.push(...(await Promise.all(['q1', 'q2'].map((id) => startNode(servers, id, nodeFlags)))));
    // Every bucket has elected its leader (until then its writes fail).
    await nats.healthy();
    await registryWritable();
    await until('nodes q1 and q2 listed', () => listNodes().length === 2);
  }, 240_000);

  afterAll(async () => {
    await disconnect();
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await nats?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test('one server of three lost: calls go on, and spawns once its buckets have elected leaders', async () => {
    const log = path.join(dir, 'one.log');
    const journal = spawn(Journal, { args: [log], placement: { node: 'q1' } });
    expect(await journal.work(0, 0)).toBe(0);
    // A server that neither this process nor q1 is connected to: no reconnect stands between
    // them (a process whose server goes reconnects, and what it had in flight may have run).
    const keep = new Set([(await serverOf(DRIVER)).name, (await serverOf('q1')).name]);
    const victim = nats.servers.find((server) => !keep.has(server.name)) as ClusterServer;
    await victim.kill();
    // Calls are core NATS: they go on while JetStream elects new leaders.
    for (let i = 1; i <= 10; i++) expect(await journal.work(i, 0)).toBe(i);
    // Its buckets keep a quorum (two of three): once they have leaders, registry writes go on.
    await nats.healthy();
    const other = spawn(Journal, { args: [log] });
    expect(await other.work(100, 0)).toBe(100);
    expect(await journal.work(11, 0)).toBe(11);
    expect(
      listNodes()
        .map((node) => node.id)
        .sort(),
    ).toEqual(['q1', 'q2']);
    await victim.start();
    await nats.healthy();
    await registryWritable();
    await Promise.all([kill(journal), kill(other)]);
    expect(lines(log).sort()).toEqual(
      ['100', ...Array.from({ length: 12 }, (_, i) => String(i))].sort(),
    );
  }, 120_000);

  test('two servers of three lost: spawn rejects with ClusterUnavailableError, placed actors serve until their lease lapses and run nothing after; healed, all resumes', async () => {
    // Where the time goes, printed as it goes (a run that times out says how far it got).
    const began = performance.now();
    const reached = (stage: string) =>
      console.log(
        `quorum, two lost: ${((performance.now() - began) / 1000).toFixed(1)} s ${stage}`,
      );
    // A node on the server that will stay (given only its address), as this process is.
    const stay = await serverOf(DRIVER);
    const pinned = await startNode(stay.url, 'qs', nodeFlags);
    nodes.push(pinned);
    await until('node qs listed', () => listNodes().some((node) => node.id === 'qs'));
    const log = path.join(dir, 'two.log');
    const busy = path.join(dir, 'two-busy.log');
    const journal = spawn(Journal, { args: [log], placement: { node: 'qs' } });
    const queue = spawn(Journal, { args: [busy], placement: { node: 'qs' } });
    expect(await journal.work(0, 0)).toBe(0);
    expect(await queue.work(0, 0)).toBe(0);
    // Calls queued on qs that outlast its lease: those started before it lapses finish, the
    // others wait on the fence.
    const queued = Array.from({ length: 40 }, (_, i) =>
      queue.work(i + 1, 500).then(
        (value) => ({ value }),
        // When it rejected: how many calls the log held then.
        (error: unknown) => ({ error, logged: lines(busy).length }),
      ),
    );
    await until('two queued calls started', () => lines(busy).length >= 2);

    reached('queued calls started');
    const lost = nats.servers.filter((server) => server !== stay);
    await Promise.all(lost.map((server) => server.kill()));
    // No quorum: calls still go (core NATS), while qs's lease holds.
    for (let i = 1; i <= 5; i++) expect(await journal.work(i, 0)).toBe(i);
    // The registry cannot be written: a spawn rejects, typed, in bounded time (no hang).
    const refused = spawn(Journal, { args: [log], placement: { node: 'qs' } });
    await expect(refused.ready()).rejects.toBeInstanceOf(ClusterUnavailableError);
    const named = spawn(Journal, { args: [log], name: 'no-quorum' });
    await expect(named.ready()).rejects.toBeInstanceOf(ClusterUnavailableError);

    reached('spawns refused');
    // No node can renew its heartbeat: each is taken for dead after suspectMs, later than its
    // lease lapsed (suspectMs > leaseMs, both from before the last record this process saw).
    await until('every node taken for dead', () => listNodes().length === 0);
    reached('every node taken for dead');
    const ranInLease = lines(busy).length;
    const ranJournal = lines(log).length;
    expect(() => spawn(Journal, { args: [log] })).toThrow(ClusterUnavailableError);
    // Every call settles once: the queued ones ran within the lease, or reject as may-have-run,
    // and then did not run after (nor will: the node is fenced).
    const settled = await Promise.all(queued);
    let values = 0;
    settled.forEach((outcome, i) => {
      if ('value' in outcome) {
        expect(outcome.value).toBe(i + 1);
        values++;
      } else {
        expect(outcome.error).toBeInstanceOf(ActorDiedError);
        expect((outcome.error as ActorDiedError).mayHaveRun).toBe(true);
        expect(lines(busy).slice(outcome.logged)).not.toContain(String(i + 1));
      }
    });
    // A call after the lapse is not run by the fenced node.
    await expect(journal.work(99, 0)).rejects.toBeInstanceOf(ActorDiedError);

    reached('queued calls settled');
    // Healed: the nodes renew, qs ends the actors whose owner gave them up, and nothing they held
    // runs, however long they waited on the fence.
    await Promise.all(lost.map((server) => server.start()));
    reached('servers restarted');
    await nats.healthy();
    await until('qs to end its actors', () => {
      const qs = listNodes().find((node) => node.id === 'qs');
      return qs !== undefined && qs.actors.length === 0;
    });
    reached('qs ended its actors');
    expect(lines(busy).length).toBe(ranInLease);
    expect(lines(log).length).toBe(ranJournal);
    // Every call that ran within the lease was answered (the fence withholds no answer).
    expect(values).toBe(ranInLease - 1);
    // Spawns work again, and their calls.
    await until('three nodes listed again', () => listNodes().length === 3);
    reached('three nodes listed');
    const again = spawn(Journal, { args: [log] });
    expect(await again.work(200, 0)).toBe(200);
    // A name claimed when the registry could not answer may have been written all the same: it
    // is freed once it arrives.
    await until("the name 'no-quorum' freed", () => {
      try {
        getActor('no-quorum');
        return false;
      } catch {
        return true;
      }
    }).catch(async (error: unknown) => {
      // Where this process still sees it: its own actors, or its mirror of the registry.
      const own = listActors().filter((actor) => actor.name === 'no-quorum');
      console.log(`this process's own actors named no-quorum: ${JSON.stringify(own)}`);
      const key = Buffer.from('default/no-quorum').toString('base64url');
      const entry = await bucketEntry(stay.url, 'troupe_default_names', key);
      console.log(`the name in the registry: ${entry}`);
      throw error;
    });
    reached('name freed');
    const named2 = spawn(Journal, { args: [log], name: 'no-quorum' });
    expect(await named2.work(201, 0)).toBe(201);
    await Promise.all([kill(again), kill(named2)]);
    console.log(
      `cluster quorum: ${ranInLease - 1} of 40 queued calls ran within the lease, ` +
        `${40 - values} rejected as may-have-run, 0 ran after it`,
    );
  }, 180_000);
});
