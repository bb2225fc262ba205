/**
 * Failures across machines (issue 16), on loopback with short, configurable leases: every call
 * settles once, and a node frozen past its lease never runs a call when it wakes, counted by an
 * execution log the actor writes as each call starts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect, disconnect, getActorAsync, listNodes } from '@troupe/cluster';
import { ActorDiedError, spawn } from '@troupe/runtime';
import { Journal } from './cluster/app/dist/actors.js';
import {
  type NatsServer,
  natsServerBinary,
  type Running,
  startNats,
  startNode,
} from './support/nats.js';

const binary = natsServerBinary('tests/cluster-faults.test.ts');
const suite = binary ? describe : describe.skip;
/** Test settings: heartbeat, lease, suspicion (ms). */
const TIMINGS = { heartbeatMs: 100, leaseMs: 800, suspectMs: 1600 };
const nodeFlags = [
  '--heartbeat-ms',
  String(TIMINGS.heartbeatMs),
  '--lease-ms',
  String(TIMINGS.leaseMs),
  '--suspect-ms',
  String(TIMINGS.suspectMs),
];

let nats: NatsServer;
const nodes: Running[] = [];
let dir: string;

/** Waits for `done()`, checking at each heartbeat (what it waits for is a node's next record). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, TIMINGS.heartbeatMs));
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
  }, 120_000);

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
    expect(lines(log).length).toBe(ranBeforeFreeze);
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
  }, 120_000);
});
