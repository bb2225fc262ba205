/**
 * Failures across machines (issue 16), on loopback with short, configurable leases: every call
 * settles once, and a node frozen past its lease never runs a call when it wakes, counted by an
 * execution log the actor writes as each call starts.
 */
import { spawn as spawnProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Kvm } from '@nats-io/kv';
import { connect as natsConnect } from '@nats-io/transport-node';
import {
  ClusterUnavailableError,
  connect,
  disconnect,
  getActorAsync,
  listNodes,
} from '@troupe/cluster';
import {
  ActorDefinitionError,
  ActorDiedError,
  ActorNotFoundError,
  kill,
  listActors,
  spawn,
} from '@troupe/runtime';
import fc from 'fast-check';
import { type Counter, Echoer, Journal } from './cluster/app/dist/actors.js';
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

const binary = natsServerBinary('tests/cluster-faults.test.ts');
const suite = binary ? describe : describe.skip;
/** Test settings: heartbeat, lease, suspicion (ms). */
const TIMINGS = { heartbeatMs: 200, leaseMs: 2000, suspectMs: 4000 };
const nodeFlags = timingFlags(TIMINGS);

const here = path.dirname(fileURLToPath(import.meta.url));
let nats: NatsServer;
const nodes: Running[] = [];
let dir: string;

/** Waits for `done()`, checking at each heartbeat. */
const until = (done: () => boolean | Promise<boolean>) => waitUntil(done, TIMINGS.heartbeatMs);

/** Resolves once every thread of process `pid` is stopped (`SIGSTOP` has taken effect). */
async function stopped(pid: number): Promise<void> {
  const state = (task: string) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      return stat.charAt(stat.lastIndexOf(')') + 2);
    } catch {
      return 'T'; // A thread that ended meanwhile runs nothing either.
    }
  };
  while (!fs.readdirSync(`/proc/${pid}/task`).every((task) => 'Tt'.includes(state(task)))) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Changes `fields` of the entry for `id` in the cluster's `bucket`, by compare-and-set on its
 * revision, as another process of the cluster would.
 */
async function rewrite(bucket: string, id: string, fields: Record<string, unknown>): Promise<void> {
  const nc = await natsConnect({ servers: nats.url });
  try {
    const kv = await new Kvm(nc).open(`troupe_default_${bucket}`);
    const key = Buffer.from(id).toString('base64url');
    const entry = await kv.get(key);
    expect(entry?.operation).toBe('PUT');
    const value = entry?.json<Record<string, unknown>>() ?? {};
    await kv.update(key, JSON.stringify({ ...value, ...fields }), entry?.revision ?? 0);
  } finally {
    await nc.close();
  }
}

/** `work` with `retries` task retries (the plain method where none). */
function journal(actor: Journal, retries: number): Journal['work'] {
  return retries === 0 ? actor.work : actor.work.options({ maxTaskRetries: retries });
}

function lines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

suite('failures: heartbeats, leases and fencing', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-faults-'));
    nats = await startNats(binary as string);
    nodes.push(
      ...(await Promise.all(['f1', 'f2'].map((id) => startNode(nats.url, id, nodeFlags)))),
    );
    await connect({ servers: nats.url, ...TIMINGS });
    await until(() => listNodes().length === 2);
  }, 240_000);

  afterAll(async () => {
    await disconnect();
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await nats?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test('SIGSTOP past the lease, then SIGCONT: the frozen node runs no call after it wakes', async () => {
    const log = path.join(dir, 'journal.log');
    const journal = spawn(Journal, { args: [log], placement: { node: 'f1' } });
    expect(await journal.work(0, 0)).toBe(0);
    const calls = Array.from({ length: 20 }, (_, i) => journal.work(i + 1, 40));
    // The first of them has started: the others wait in the actor's queue, on the node.
    await until(() => lines(log).length >= 2);
    const victim = nodes[0] as Running;
    process.kill(victim.pid, 'SIGSTOP');
    // Counted once every thread of it has stopped (a signal takes effect a moment later).
    await stopped(victim.pid);
    const ranBeforeFreeze = lines(log).length;
    try {
      // Every call settles: those answered before the freeze with their value, the others with
      // ActorDiedError (its node stopped heartbeating), once it is taken for dead.
      const settled = await Promise.allSettled(calls);
      const values = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) {
        expect(error).toBeInstanceOf(ActorDiedError);
        expect((error as ActorDiedError).mayHaveRun).toBe(true);
        expect((error as Error).message).toMatch(/node f1 stopped heartbeating/);
      }
      // The values are exact, in order, and ran.
      expect(values).toEqual(Array.from({ length: values.length }, (_, i) => i + 1));
    } finally {
      process.kill(victim.pid, 'SIGCONT');
    }
    // Awake, it renews its lease, reads the directory, and ends the actor its owner gave up.
    await until(() => {
      const f1 = listNodes().find((node) => node.id === 'f1');
      return f1 !== undefined && f1.actors.length === 0;
    });
    // No call starts after the lease. One may have passed its check of the lease just before
    // the freeze and write its line only after the wake (the check and the write are two steps;
    // a freeze can fall between): it was running, and was reported as may-have-run.
    expect(lines(log).length - ranBeforeFreeze).toBeLessThanOrEqual(1);
  }, 120_000);

  test('nats-server killed and restarted: calls in flight settle as may-have-run, later calls and names work', async () => {
    const log = path.join(dir, 'restart.log');
    const journal = spawn(Journal, { args: [log], name: 'kept', placement: { node: 'f2' } });
    expect(await journal.work(0, 0)).toBe(0);
    const calls = Array.from({ length: 10 }, (_, i) => journal.work(i + 1, 20));
    await until(() => lines(log).length >= 2);
    await nats.restart();
    const settled = await Promise.allSettled(calls);
    for (const outcome of settled) {
      if (outcome.status === 'fulfilled') continue;
      expect(outcome.reason).toBeInstanceOf(ActorDiedError);
      expect((outcome.reason as ActorDiedError).mayHaveRun).toBe(true);
    }
    // Later calls go through, to the same actor (its state kept), and its name survived.
    expect(await journal.work(100, 0)).toBe(100);
    const again = await getActorAsync<Journal>('kept');
    expect(await again.work(101, 0)).toBe(101);
    expect(lines(log)).toContain('101');
    // The registry is written again: every node takes a spawn (each renewed its lease), once
    // JetStream has recovered its streams.
    for (const node of ['f1', 'f2']) {
      for (;;) {
        try {
          const probe = spawn(Journal, { args: [log], placement: { node } });
          await probe.ready();
          await kill(probe);
          break;
        } catch (error) {
          // Fenced (it refuses), or not heard from since (not placed on).
          expect([ClusterUnavailableError.name, ActorDefinitionError.name]).toContain(
            (error as Error).name,
          );
          await new Promise((resolve) => setTimeout(resolve, TIMINGS.heartbeatMs));
        }
      }
    }
  }, 120_000);

  test('kill -9 of a node with calls in flight: the actor moves, retried calls are exact, the others may have run', async () => {
    const mover = await startNode(nats.url, 'mv', nodeFlags);
    nodes.push(mover);
    await until(() => listNodes().some((node) => node.id === 'mv'));
    const log = path.join(dir, 'moves.log');
    const journal = spawn(Journal, {
      args: [log],
      placement: { node: 'mv' },
      maxRestarts: 1,
    });
    expect(await journal.work(0, 0)).toBe(0);
    const retried = Array.from({ length: 5 }, (_, i) =>
      journal.work.options({ maxTaskRetries: 1 })(i + 1, 30),
    );
    const once = Array.from({ length: 5 }, (_, i) => journal.work(i + 11, 30));
    await until(() => lines(log).length >= 2);
    await mover.stop('SIGKILL');
    // Every call settles once: those whose retries allow, exactly, on the next node.
    expect(await Promise.all(retried)).toEqual([1, 2, 3, 4, 5]);
    const outcomes = await Promise.allSettled(once);
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') expect(outcome.value).toBe(i + 11);
      else {
        expect(outcome.reason).toBeInstanceOf(ActorDiedError);
        expect((outcome.reason as ActorDiedError).mayHaveRun).toBe(true);
        // It names the node that died.
        expect((outcome.reason as ActorDiedError).message).toContain('node mv');
      }
    });
    // It serves from another node now, as its second incarnation.
    expect(await journal.work(100, 0)).toBe(100);
    const listed = listActors().find(
      (actor) => actor.node !== undefined && actor.incarnation === 2,
    );
    expect(listed).toBeDefined();
    expect(listed?.node).not.toBe('mv');
    await kill(journal);
  }, 120_000);

  test('calls that reach no node (the server answers "no responders") did not run: they go to the next incarnation whatever their retries, or reject with mayHaveRun false', async () => {
    const gone = await startNode(nats.url, 'gn', nodeFlags);
    nodes.push(gone);
    await until(() => listNodes().some((node) => node.id === 'gn'));
    const log = path.join(dir, 'unreached.log');
    const fixedLog = path.join(dir, 'unreached-fixed.log');
    const mover = spawn(Journal, { args: [log], placement: { node: 'gn' }, maxRestarts: 1 });
    const fixed = spawn(Journal, { args: [fixedLog], placement: { node: 'gn' } });
    expect(await mover.work(0, 0)).toBe(0);
    expect(await fixed.work(0, 0)).toBe(0);
    await gone.stop('SIGKILL');
    // Handshake: the server has dropped the node (its control subject has no responders), so
    // every frame sent from now on reaches no one.
    await dropped(nats.url, 'gn');
    // Retries drawn at random, none needed: a call that reached no one did not run.
    const [retries] = fc.sample(
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 5, maxLength: 20 }),
      1,
    );
    const ids = (retries as number[]).map((_, i) => i + 1);
    const moved = (retries as number[]).map((n, i) => journal(mover, n)(i + 1, 0));
    const refused = [1, 2, 3].map((i) => fixed.work(i, 0));
    // Each runs once, in order, on the next incarnation.
    expect(await Promise.all(moved)).toEqual(ids);
    expect(lines(log)).toEqual(['0', ...ids.map(String)]);
    // Not restartable: each rejects, and says it did not run.
    for (const outcome of await Promise.allSettled(refused)) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as ActorDiedError;
      expect(error).toBeInstanceOf(ActorDiedError);
      expect(error.mayHaveRun).toBe(false);
      expect(error.message).toMatch(/did not run/);
    }
    expect(lines(fixedLog)).toEqual(['0']);
    await kill(mover);
  }, 120_000);

  test('an actor whose directory entry was given up ends on its node at once, though the node holds its lease', async () => {
    const before = new Set(listActors().map((actor) => actor.id));
    const log = path.join(dir, 'given-up.log');
    const journal = spawn(Journal, { args: [log], placement: { node: 'f2' } });
    expect(await journal.work(0, 0)).toBe(0);
    const id = listActors().find((actor) => !before.has(actor.id))?.id as string;
    // What an owner writes when it gives an actor up (as after a suspicion that raced a renewal).
    await rewrite('actors', id, { state: 'lost' });
    // The node ends it (its record lists it no more), with no lapse: f2 stays listed throughout.
    await until(() => {
      const f2 = listNodes().find((node) => node.id === 'f2');
      expect(f2).toBeDefined();
      return f2 !== undefined && !f2.actors.some((actor) => actor.id === id);
    });
    await expect(journal.work(1, 0)).rejects.toBeInstanceOf(ActorDiedError);
    expect(lines(log)).toEqual(['0']);
  }, 120_000);

  test('a node declared dead (a compare-and-set on its record) ends what it held, restarts its detached actors, and joins again', async () => {
    const before = new Set(listActors().map((actor) => actor.id));
    const log = path.join(dir, 'declared.log');
    const journal = spawn(Journal, { args: [log], placement: { node: 'f2' } });
    const ledger = spawn(Journal, {
      args: [path.join(dir, 'declared-ledger.log')],
      name: 'declared-ledger',
      lifetime: 'detached',
      maxRestarts: 1,
      placement: { node: 'f2' },
    });
    expect(await journal.work(0, 0)).toBe(0);
    expect(await ledger.work(0, 0)).toBe(0);
    const id = listActors().find(
      (actor) => !before.has(actor.id) && actor.name !== 'declared-ledger',
    )?.id as string;
    // What a process writes once it finds the node's lease lapsed: the node's last record,
    // marked, at that record's revision.
    await rewrite('nodes', 'f2', { suspected: 'test' });
    // Its next heartbeat cannot renew: it ends its actors, and writes its record anew.
    await until(() => {
      const f2 = listNodes().find((node) => node.id === 'f2');
      return f2 !== undefined && !f2.actors.some((actor) => actor.id === id);
    });
    await expect(journal.work(1, 0)).rejects.toBeInstanceOf(ActorDiedError);
    // The detached one starts again (its next incarnation); its handle and its name follow it.
    await until(() =>
      listNodes().some((node) => node.actors.some((actor) => actor.name === 'declared-ledger')),
    );
    expect(await ledger.work(1, 0)).toBe(1);
    expect(await (await getActorAsync<Journal>('declared-ledger')).work(2, 0)).toBe(2);
    expect(lines(path.join(dir, 'declared-ledger.log'))).toEqual(['0', '1', '2']);
    await kill(ledger);
  }, 120_000);

  test('owner death ends its actors; a detached one lives on, and moves when its node dies', async () => {
    const home = await startNode(nats.url, 'dh', nodeFlags);
    nodes.push(home);
    await until(() => listNodes().some((node) => node.id === 'dh'));
    const log = path.join(dir, 'detached.log');
    const owner = spawnProcess(
      process.execPath,
      [path.join(here, 'cluster/app/dist/owner.js'), nats.url, 'owned', 'lasting', log, 'dh'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let said = '';
    owner.stderr.on('data', (chunk: Buffer) => {
      said += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      owner.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('spawned')) resolve();
      });
      owner.once('exit', (code) => reject(new Error(`the owner exited (${code}):\n${said}`)));
    });
    const owned = await getActorAsync<Counter>('owned');
    const kept = await getActorAsync<Journal>('lasting');
    expect(await kept.work(1, 0)).toBe(1);
    owner.kill('SIGKILL');
    // Fate sharing: its node finds no one on the owner's inbox and ends the owned actor...
    await expect(
      (async () => {
        for (;;) {
          try {
            await owned.incr(1);
          } catch (error) {
            return error;
          }
          await new Promise((resolve) => setTimeout(resolve, TIMINGS.heartbeatMs));
        }
      })(),
    ).resolves.toBeInstanceOf(ActorDiedError);
    // ...but not the detached one, reached through a handle of a process that does not own it.
    expect(await kept.work(2, 0)).toBe(2);
    // Its node dies with calls in flight: any live node restarts it (incarnation 2).
    const retried = [3, 4].map((id) => kept.work.options({ maxTaskRetries: 1 })(id, 200));
    const inFlight = Promise.allSettled([5, 6, 7].map((id) => kept.work(id, 200)));
    await until(() => lines(log).length >= 4);
    await home.stop('SIGKILL');
    // Retried calls are exact, from its next incarnation; the others may have run.
    expect(await Promise.all(retried)).toEqual([3, 4]);
    const outcomes = await inFlight;
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') expect(outcome.value).toBe(i + 5);
      else {
        expect(outcome.reason).toBeInstanceOf(ActorDiedError);
        expect((outcome.reason as ActorDiedError).mayHaveRun).toBe(true);
      }
    });
    // The same handle follows it to its next node; the name still reaches it.
    await until(() =>
      listNodes().some((node) => node.id !== 'dh' && node.actors.some((a) => a.name === 'lasting')),
    );
    expect(await kept.work(100, 0)).toBe(100);
    expect(await (await getActorAsync<Journal>('lasting')).work(101, 0)).toBe(101);
    // Nothing without retries ran twice; a retried call ran at most once more.
    const ran = lines(log);
    for (const id of ['0', '1', '2', '5', '6', '7', '100', '101']) {
      expect(ran.filter((line) => line === id).length).toBeLessThanOrEqual(1);
    }
    for (const id of ['3', '4']) {
      expect(ran.filter((line) => line === id).length).toBeGreaterThanOrEqual(1);
      expect(ran.filter((line) => line === id).length).toBeLessThanOrEqual(2);
    }
    // It ends when killed (by any handle), and frees its name.
    await kill(kept);
    await expect(
      (async () => {
        for (;;) {
          try {
            await getActorAsync<Journal>('lasting', { timeoutMs: 1 });
          } catch (error) {
            return error;
          }
          await new Promise((resolve) => setTimeout(resolve, TIMINGS.heartbeatMs));
        }
      })(),
    ).resolves.toBeInstanceOf(ActorNotFoundError);
  }, 120_000);

  test('chaos: 10,000 calls across three nodes while random nodes are killed and restarted: each settles once, exact with retries', async () => {
    const ids = ['c1', 'c2', 'c3'];
    const chaos = await Promise.all(ids.map((id) => startNode(nats.url, id, nodeFlags)));
    nodes.push(...chaos);
    await until(() => ids.every((id) => listNodes().some((n) => n.id === id)));
    const log = path.join(dir, 'chaos.log');
    // One actor placed on each node: calls to actor k are the ids ≡ k (mod 3).
    const actorIds: string[] = [];
    const actors = ids.map((node) => {
      const known = new Set(listActors().map((a) => a.id));
      const actor = spawn(Echoer, {
        args: [log],
        placement: { node },
        maxRestarts: -1,
        maxTaskRetries: -1,
      });
      actorIds.push(listActors().find((a) => !known.has(a.id))?.id ?? '');
      return actor;
    });
    expect(new Set(actorIds.filter(Boolean)).size).toBe(3);
    await Promise.all(actors.map((actor) => actor.ready()));
    const total = 10_000;
    const kills = 4;
    let sent = 0;
    const results: Promise<number>[] = [];
    /** The actors whose node was killed (a random one each time) while it hosted them. */
    const struck = new Set<number>();
    // Calls go out in waves while a killer ends a random node, and starts it again, at each
    // fifth of the traffic.
    const killer = (async () => {
      for (let round = 0; round < kills; round++) {
        await until(() => sent >= ((round + 1) * total) / (kills + 1));
        const victim = Math.floor(Math.random() * ids.length);
        const running = chaos[victim] as Running;
        // The actors on that node now: the one placed there, and any that moved to it.
        for (const actor of listActors()) {
          if (actor.node === ids[victim]) struck.add(actorIds.indexOf(actor.id));
        }
        await running.stop('SIGKILL');
        chaos[victim] = await startNode(nats.url, ids[victim] as string, nodeFlags);
        nodes.push(chaos[victim] as Running);
      }
    })();
    while (sent < total) {
      for (let i = 0; i < 50 && sent < total; i++, sent++) {
        results.push((actors[sent % 3] as (typeof actors)[number]).echo(sent));
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await killer;
    const values = await Promise.all(results);
    expect(values).toEqual(Array.from({ length: total }, (_, i) => i));
    // Every call ran at least once; one that ran twice was resent after a node died with it
    // unanswered (delivered, no result): so its actor was struck, and by no more kills than ran.
    const runs = new Map<number, number>();
    for (const line of lines(log)) runs.set(Number(line), (runs.get(Number(line)) ?? 0) + 1);
    for (let i = 0; i < total; i++) expect(runs.get(i) ?? 0).toBeGreaterThanOrEqual(1);
    const twice = [...runs].filter(([, n]) => n > 1);
    for (const [id, n] of twice) {
      expect(n).toBeLessThanOrEqual(1 + kills);
      expect({ id, struck: struck.has(id % 3) }).toEqual({ id, struck: true });
    }
    console.log(
      `cluster chaos: ${total} calls, ${kills} node kills, ${twice.length} ran more than once ` +
        '(resent after a kill)',
    );
    await Promise.all(actors.map((actor) => kill(actor)));
  }, 240_000);
});
