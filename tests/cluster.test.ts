/**
 * Actors on many machines (issue 15), on loopback: one nats-server with JetStream and three
 * `troupe-node` processes hosting the classes of tests/cluster/app (built with the transformer,
 * so its manifest lists them by hash). This test process is the driver.
 */
import { spawn as spawnProcess } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
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
  ActorPool,
  CancelledError,
  cancel,
  getActor,
  kill,
  listActors,
  SerializationError,
  SharedCounter,
  spawn,
  TimeoutError,
  wait,
} from '@troupe/runtime';
import { Counter, Gate, Meeter, Relay, TallyError } from './cluster/app/dist/actors.js';
import { Counter as UnlistedCounter } from './fixtures/dist/counter.js';
import { eventually } from './support/eventually.js';
import {
  type NatsServer,
  natsServerBinary,
  type Running,
  startNats,
  startNode,
} from './support/nats.js';

const binary = natsServerBinary('tests/cluster.test.ts');

/** Waits for `done()`, looking again at each of the nodes' heartbeats (200 ms here). */
async function waitFor(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 100));
}
const suite = binary ? describe : describe.skip;
const here = path.dirname(fileURLToPath(import.meta.url));

let nats: NatsServer;
const nodes: Running[] = [];
const NODE_IDS = ['n1', 'n2', 'n3'];

suite('actors across three troupe-node processes', () => {
  beforeAll(async () => {
    nats = await startNats(binary as string);
    nodes.push(...(await Promise.all(NODE_IDS.map((id) => startNode(nats.url, id)))));
    await connect({ servers: nats.url, heartbeatMs: 200, maxMessageBytes: 8 * 1024 * 1024 });
    // The nodes' first records reach this process's mirror.
    await eventually(
      async () => listNodes().length,
      (n) => n === 3,
    );
  }, 240_000);

  afterAll(async () => {
    await disconnect();
    await Promise.all(nodes.map((node) => node.stop()));
    await nats?.stop();
  }, 60_000);

  test('listNodes shows the three nodes with their threads', () => {
    const listed = listNodes();
    expect(listed.map((node) => node.id).sort()).toEqual(NODE_IDS);
    for (const node of listed) expect(node.threads).toBe(8);
  });

  test("a node counts a threaded actor's threads, and a killed actor's threads are free at once", async () => {
    const cap = await startNode(nats.url, 'cap', ['--threads', '3']);
    try {
      await waitFor(() => listNodes().some((node) => node.id === 'cap'));
      // The class says 3 threads (no maxConcurrency in the spawn): the node counts 3.
      const first = spawn(Meeter, { placement: { node: 'cap' } });
      await first.ready();
      await waitFor(() => listNodes().find((node) => node.id === 'cap')?.busy === 3);
      expect(() => spawn(Counter, { placement: { node: 'cap' } })).toThrow(/0 threads free/);
      await kill(first);
      // Before the node's next record: this process knows the threads are free.
      const second = spawn(Meeter, { placement: { node: 'cap' } });
      await second.ready();
      await kill(second);
    } finally {
      await cap.stop();
    }
  }, 60_000);

  test('a serial actor on a node runs its calls one at a time, in submission order', async () => {
    const counter = spawn(Counter, { args: [0] });
    const results = await Promise.all(Array.from({ length: 200 }, () => counter.incr(1)));
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // It runs in a node's process, not here.
    const { pid } = await counter.where();
    expect(nodes.map((node) => node.pid)).toContain(pid);
    await kill(counter);
  });

  test('placement { node } and listActors() say where an actor runs', async () => {
    const counter = spawn(Counter, { placement: { node: 'n2' } });
    expect((await counter.where()).pid).toBe(nodes[1]?.pid);
    const listed = listActors().find((actor) => actor.node === 'n2');
    expect(listed).toMatchObject({ node: 'n2', incarnation: 1, kind: 'serial' });
    await kill(counter);
  });

  test('an async actor on a node runs exactly maxConcurrency calls at once', async () => {
    const gate = spawn(Gate);
    const held = Array.from({ length: 6 }, () => gate.hold());
    const stats = await eventually(
      () => gate.stats(),
      (s) => s.inFlight === 4,
    );
    expect(stats).toMatchObject({ inFlight: 4, entered: 4 });
    await gate.release();
    expect(await Promise.all(held)).toEqual(Array(6).fill(4));
    await kill(gate);
  });

  test('a threaded actor on a node runs three sync calls side by side', async () => {
    const meeter = spawn(Meeter);
    expect(await Promise.all([meeter.meet(3), meeter.meet(3), meeter.meet(3)])).toEqual([
      true,
      true,
      true,
    ]);
    await kill(meeter);
  });

  test('cancel: a queued call never runs, a running one sees its signal', async () => {
    const gate = spawn(Gate);
    const held = Array.from({ length: 4 }, () => gate.hold());
    await eventually(
      () => gate.stats(),
      (s) => s.inFlight === 4,
    );
    const queued = gate.hold();
    cancel(queued);
    await expect(queued).rejects.toBeInstanceOf(CancelledError);
    await gate.release();
    await Promise.all(held);
    expect((await gate.stats()).entered).toBe(4);
    const running = gate.untilCancelled();
    await eventually(
      () => gate.stats(),
      () => true,
    );
    cancel(running);
    await expect(running).rejects.toBeInstanceOf(CancelledError);
    await kill(gate);
  });

  test('a call past its timeoutMs rejects with TimeoutError; the actor goes on', async () => {
    const gate = spawn(Gate);
    await gate.ready();
    await expect(gate.hold.options({ timeoutMs: 200 })()).rejects.toBeInstanceOf(TimeoutError);
    await gate.release();
    // The actor answers other calls: a hold passes the open gate.
    expect(await gate.hold()).toBeGreaterThanOrEqual(1);
    await kill(gate);
  });

  test('a stream from a node, left early: the generator is closed there', async () => {
    const gate = spawn(Gate);
    const seen: number[] = [];
    for await (const item of gate.count(1000)) {
      seen.push(item);
      if (item === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
    const stats = await eventually(
      () => gate.stats(),
      (s) => s.streamsEnded === 1,
    );
    expect(stats.streamsEnded).toBe(1);
    const all: number[] = [];
    for await (const item of gate.count(40)) all.push(item);
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await kill(gate);
  });

  test('result refs as arguments, and wait()', async () => {
    const counter = spawn(Counter);
    const first = counter.incr(5);
    expect(await counter.echo(first)).toBe(5);
    const refs = [counter.incr(1), counter.incr(1), counter.incr(1)];
    const { ready, pending } = await wait(refs, { numReturns: 3 });
    expect(ready).toHaveLength(3);
    expect(pending).toHaveLength(0);
    expect(await Promise.all(refs)).toEqual([6, 7, 8]);
    await kill(counter);
  });

  test('an ActorPool of actors on the three nodes', async () => {
    const members = NODE_IDS.map((node) => spawn(Counter, { placement: { node } }));
    const pool = new ActorPool(members);
    const results: number[] = [];
    for await (const value of pool.map((actor, by: number) => actor.incr(by), [1, 1, 1, 1, 1, 1])) {
      results.push(value);
    }
    expect(results).toHaveLength(6);
    const totals = await Promise.all(members.map((member) => member.value()));
    expect(totals.reduce((a, b) => a + b, 0)).toBe(6);
    const pids = new Set(await Promise.all(members.map(async (m) => (await m.where()).pid)));
    expect(pids.size).toBe(3);
    await Promise.all(members.map((member) => kill(member)));
  });

  test('handles passed between actors on different nodes', async () => {
    const counter = spawn(Counter, { placement: { node: 'n1' }, args: [100] });
    const relay = spawn(Relay, { placement: { node: 'n2' }, args: [counter] });
    expect(await relay.viaConstructor(1)).toBe(101);
    expect(await relay.via(counter, 2)).toBe(103);
    expect(await relay.pid()).toBe(nodes[1]?.pid);
    expect(await counter.value()).toBe(103);
    await Promise.all([kill(relay), kill(counter)]);
  });

  test('a handle in a result crosses machines: the caller calls it where it lives', async () => {
    const counter = spawn(Counter, { placement: { node: 'n1' }, args: [10] });
    const relay = spawn(Relay, { placement: { node: 'n2' }, args: [counter] });
    // The answer holds a port on n2 (to the counter it reaches by address): it leaves as the
    // counter's address, and this process calls n1 with it.
    const back = await relay.targetBack();
    expect(back).toBeDefined();
    expect(await back?.incr(5)).toBe(15);
    expect(await counter.value()).toBe(15);
    await Promise.all([kill(relay), kill(counter)]);
  });

  test('a result that cannot cross machines fails its call alone with SerializationError', async () => {
    const counter = spawn(Counter, { placement: { node: 'n3' }, args: [1] });
    // In one batch with results that can: only its call fails.
    const [before, shared, after] = await Promise.allSettled([
      counter.incr(),
      counter.sharedBack(),
      counter.incr(),
    ]);
    expect(before).toEqual({ status: 'fulfilled', value: 2 });
    expect(after).toEqual({ status: 'fulfilled', value: 3 });
    expect(shared.status).toBe('rejected');
    const error = (shared as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as Error).message).toMatch(/sharedBack.*shared memory cannot cross machines/s);
    expect(await counter.value()).toBe(3);
    await kill(counter);
  });

  test('killed with calls running and one queued: the queued one did not run, the others may have', async () => {
    const gate = spawn(Gate, { placement: { node: 'n2' } });
    const held = Array.from({ length: 4 }, () => gate.hold().catch((e: unknown) => e));
    await eventually(
      () => gate.stats(),
      (s) => s.inFlight === 4,
    );
    const queued = gate.hold().catch((e: unknown) => e);
    // The queued call has reached the node (the control group answers after it arrived).
    await gate.stats();
    await kill(gate);
    const queuedError = await queued;
    expect(queuedError).toBeInstanceOf(ActorDiedError);
    expect((queuedError as ActorDiedError).mayHaveRun).toBe(false);
    for (const reason of await Promise.all(held)) {
      expect(reason).toBeInstanceOf(ActorDiedError);
      expect((reason as ActorDiedError).mayHaveRun).toBe(true);
    }
  });

  test('errors keep their class, fields and stack across machines', async () => {
    const counter = spawn(Counter);
    const error = await counter.fail('boom').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TallyError);
    expect(error).toMatchObject({ message: 'boom', code: 7 });
    expect(String((error as { remoteStack?: string }).remoteStack)).toContain('fail');
    // The actor goes on.
    expect(await counter.incr(1)).toBe(1);
    await kill(counter);
  });

  test('a class missing from the nodes’ manifests is refused with ActorDefinitionError', () => {
    expect(() => spawn(UnlistedCounter)).toThrow(ActorDefinitionError);
    expect(() => spawn(UnlistedCounter)).toThrow(/does not list/);
    expect(() => spawn(Counter, { placement: { node: 'nowhere' } })).toThrow(ActorDefinitionError);
  });

  test('values larger than one NATS message go through the object store, in order', async () => {
    const counter = spawn(Counter);
    const small = counter.echo('before');
    const bytes = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
    const big = counter.echo(bytes);
    const after = counter.incr(1);
    const back = (await big) as Uint8Array;
    expect(back.length).toBe(bytes.length);
    expect(back[12345]).toBe(12345 % 251);
    // A large result too.
    expect((await counter.big(2 * 1024 * 1024)).length).toBe(2 * 1024 * 1024);
    expect(await small).toBe('before');
    expect(await after).toBe(1);
    await kill(counter);
  });

  test('an argument over maxMessageBytes fails its call alone with SerializationError naming it', async () => {
    const counter = spawn(Counter);
    const small = counter.echo('fine');
    const big = counter.echo('x', new Uint8Array(9 * 1024 * 1024));
    const after = counter.incr(1);
    const error = await big.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect(String((error as Error).message)).toMatch(/argument 1 .*maxMessageBytes/s);
    expect(await small).toBe('fine');
    expect(await after).toBe(1);
    await kill(counter);
  });

  test('a shared primitive cannot cross machines: SerializationError says to spawn local', async () => {
    const counter = spawn(Counter);
    const shared = new SharedCounter();
    await expect(counter.count(shared)).rejects.toThrow(/placement: 'local'/);
    await expect(counter.count(shared)).rejects.toBeInstanceOf(SerializationError);
    const local = spawn(Counter, { placement: 'local' });
    expect(await local.count(shared)).toBe(1);
    expect(listActors().find((a) => a.id && a.node === undefined)).toBeDefined();
    await Promise.all([kill(counter), kill(local)]);
  });

  test('a detached actor cannot be local: it would end with this process', () => {
    expect(() => spawn(Counter, { lifetime: 'detached', placement: 'local' })).toThrow(
      ActorDefinitionError,
    );
    expect(() => spawn(Counter, { lifetime: 'detached', placement: 'local' })).toThrow(
      /lifetime: 'detached', placement: 'local'.*cannot outlive it/,
    );
  });

  test('a name raced from two processes: one wins, the loser is refused, getActor finds it', async () => {
    const race = path.join(here, 'cluster/app/dist/race.js');
    const run = () => {
      const child = spawnProcess(process.execPath, [race, nats.url, 'raced'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const line = new Promise<string>((resolve) => {
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('\n')) resolve(text.trim());
        });
      });
      return { child, line };
    };
    const racers = [run(), run()];
    const lines = await Promise.all(racers.map((r) => r.line));
    const won = lines.filter((line) => line.startsWith('won'));
    const lost = lines.filter((line) => line.startsWith('lost'));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(
      /ActorDefinitionError: .*(another process took that name|a live actor already has that name)/,
    );
    const handle = await getActorAsync<Counter>('raced', { timeoutMs: 10_000 });
    expect(await handle.incr(1)).toBe(1);
    expect(await getActor<Counter>('raced').incr(1)).toBe(2);
    for (const racer of racers) racer.child.stdin?.end();
    await Promise.all(racers.map((r) => new Promise((resolve) => r.child.once('exit', resolve))));
  }, 60_000);

  test("an owner's death ends its actors on the nodes, and frees their names (fate sharing)", async () => {
    const owner = spawnProcess(
      process.execPath,
      [path.join(here, 'cluster/app/dist/owner.js'), nats.url, 'orphan'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => {
      owner.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('spawned')) resolve();
      });
    });
    const orphan = await getActorAsync<Counter>('orphan');
    expect(await orphan.incr(1)).toBe(2);
    const ended = orphan.incr(1).then(
      () => 'answered',
      (error: unknown) => (error as Error).name,
    );
    owner.kill('SIGKILL');
    // Its node notices (no process listens on the owner's inbox) and ends the actor: calls
    // through any handle reject, and the name can be taken again.
    await expect(
      (async () => {
        for (;;) {
          try {
            await orphan.incr(1);
          } catch (error) {
            return (error as Error).name;
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })(),
    ).resolves.toBe('ActorDiedError');
    // The call in flight when the owner died settled too.
    expect(['answered', 'ActorDiedError']).toContain(await ended);
    const again = await (async () => {
      for (;;) {
        try {
          const next = spawn(Counter, { name: 'orphan' });
          await next.ready();
          return next;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    })();
    expect(await again.incr(1)).toBe(1);
    await kill(again);
  }, 60_000);

  test('a node killed with calls in flight: every call settles with ActorDiedError', async () => {
    const victim = await startNode(nats.url, 'n4');
    await eventually(
      async () => listNodes().length,
      (n) => n === 4,
    );
    const gate = spawn(Gate, { placement: { node: 'n4' } });
    const held = [gate.hold(), gate.hold()];
    await eventually(
      () => gate.stats(),
      (s) => s.inFlight === 2,
    );
    const queued = Array.from({ length: 4 }, () => gate.hold());
    await victim.stop('SIGKILL');
    const errors = await Promise.all([...held, ...queued].map((call) => call.catch((e) => e)));
    for (const error of errors) {
      expect(error).toBeInstanceOf(ActorDiedError);
      expect((error as ActorDiedError).mayHaveRun).toBe(true);
      expect((error as Error).message).toMatch(/its node n4 ended/);
    }
    // Later calls fail at once; new spawns go to the live nodes.
    await expect(gate.stats()).rejects.toBeInstanceOf(ActorDiedError);
    const counter = spawn(Counter, { placement: { node: 'n1' } });
    expect(await counter.incr(1)).toBe(1);
    await kill(counter);
  }, 60_000);

  test('a named actor is found from this process by getActor', async () => {
    const named = spawn(Counter, { name: 'shared-tally' });
    expect(await named.incr(3)).toBe(3);
    const again = await getActorAsync<Counter>('shared-tally');
    expect(await again.incr(1)).toBe(4);
    expect(() => spawn(Counter, { name: 'shared-tally' })).toThrow(ActorDefinitionError);
    await kill(named);
  });

  test('a named spawn that fails after claiming its name frees it', async () => {
    // The name is claimed first; the constructor argument then cannot reach the node.
    const failed = spawn(Counter, { name: 'claimed-then-failed', args: [new SharedCounter()] });
    await expect(failed.ready()).rejects.toBeInstanceOf(SerializationError);
    // Its end is seen through listActors() (live actors only), as on one machine; the cluster's
    // name was deleted before the spawn rejected, so spawning it again is not refused as taken.
    while (listActors().some((a) => a.name === 'claimed-then-failed')) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const again = spawn(Counter, { name: 'claimed-then-failed', args: [5] });
    expect(await again.incr(1)).toBe(6);
    await kill(again);
  });

  test('getActorAsync gives up with ActorNotFoundError after its timeout', async () => {
    await expect(getActorAsync('nobody', { timeoutMs: 100 })).rejects.toThrow(/nobody/);
  });

  test('ClusterUnavailableError without a cluster', async () => {
    await expect(
      connect({ servers: nats.url }).catch((e: unknown) => {
        throw e;
      }),
    ).rejects.toThrow(/already/);
    expect(ClusterUnavailableError.name).toBe('ClusterUnavailableError');
  });
});
