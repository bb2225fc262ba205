/**
 * The cluster's security (issue 15) under packages/cluster/nats-server.example.conf: users from
 * creds files, nodes and drivers in two roles, each driver with its own inbox prefix. A driver
 * works; it cannot read another driver's results, forge the server's "no responders" on its
 * frames, receive calls meant for nodes or write node records; its frames to an actor can call it
 * but not order its host about; a wrong password is refused; the decoder survives any bytes
 * (fast-check).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  connect as natsConnect,
  headers as natsHeaders,
  usernamePasswordAuthenticator,
} from '@nats-io/transport-node';
import { connect, disconnect } from '@troupe/cluster';
import { kill, listActors, spawn } from '@troupe/runtime';
import fc from 'fast-check';
import { Counter } from './cluster/app/dist/actors.js';
import {
  type NatsServer,
  natsServerBinary,
  type Running,
  startNats,
  startNode,
} from './support/nats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const binary = natsServerBinary('tests/cluster-security.test.ts');
const suite = binary ? describe : describe.skip;
const PASS = { NODE_PASS: 'node-secret-1', ALICE_PASS: 'alice-secret-2', BOB_PASS: 'bob-secret-3' };

let nats: NatsServer;
const nodes: Running[] = [];
let dir: string;

function creds(user: string, password: string): string {
  const file = path.join(dir, `${user}.creds`);
  fs.writeFileSync(file, `${user}:${password}\n`, { mode: 0o600 });
  return file;
}

/** A raw NATS client as `user`; its asynchronous permission errors are collected. */
async function raw(user: string, password: string) {
  const nc = await natsConnect({
    servers: nats.url,
    authenticator: usernamePasswordAuthenticator(user, password),
    inboxPrefix: `_INBOX_${user}`,
  });
  const errors: string[] = [];
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'error') errors.push(String((status as { error?: unknown }).error));
    }
  })();
  return { nc, errors };
}

suite('a cluster under the example server configuration', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'troupe-creds-'));
    const example = fs.readFileSync(
      path.join(here, '../packages/cluster/nats-server.example.conf'),
      'utf8',
    );
    // startNats gives JetStream its own store folder.
    nats = await startNats(binary as string, example.replace(/^jetstream \{\}$/m, ''), PASS);
    const nodeCreds = creds('node', PASS.NODE_PASS);
    nodes.push(
      ...(await Promise.all(
        ['s1', 's2'].map((id) =>
          startNode(nats.url, id, [
            '--cluster',
            'demo',
            '--creds',
            nodeCreds,
            '--inbox-prefix',
            'nodes',
          ]),
        ),
      )),
    );
    await connect({
      servers: nats.url,
      cluster: 'demo',
      creds: creds('alice', PASS.ALICE_PASS),
      inboxPrefix: 'alice',
      heartbeatMs: 200,
    });
  }, 240_000);

  afterAll(async () => {
    await disconnect();
    await Promise.all(nodes.map((node) => node.stop()));
    await nats?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  test('a driver with its own user spawns on a node, calls it and names it', async () => {
    const counter = spawn(Counter, { args: [1], name: 'alices-counter' });
    expect(await counter.incr(2)).toBe(3);
    expect(nodes.map((node) => node.pid)).toContain((await counter.where()).pid);
    // A value larger than one NATS message, through the blob store both ways.
    const bytes = new Uint8Array(2 * 1024 * 1024).fill(7);
    expect(((await counter.echo(bytes)) as Uint8Array).length).toBe(bytes.length);
    await kill(counter);
  });

  test("a driver cannot read another driver's results inbox", async () => {
    const alice = await raw('alice', PASS.ALICE_PASS);
    const sub = alice.nc.subscribe('troupe.demo.r.bob.>');
    const closed = sub.closed.then(
      (why: unknown) => String(why),
      (error: unknown) => String(error),
    );
    await alice.nc.flush();
    expect(await closed).toMatch(/permission/i);
    await alice.nc.close();
  });

  test('a driver cannot receive calls meant for nodes, nor write node records', async () => {
    const bob = await raw('bob', PASS.BOB_PASS);
    const calls = bob.nc.subscribe('troupe.demo.a.>');
    const refused = calls.closed.then(
      (why: unknown) => String(why),
      (error: unknown) => String(error),
    );
    await bob.nc.flush();
    expect(await refused).toMatch(/permission/i);
    bob.nc.publish('$KV.troupe_demo_nodes.czE', '{"id":"s1"}');
    await bob.nc.flush();
    // The server answers the refused publish with an error, in order after it.
    await bob.nc.flush();
    expect(bob.errors.join('\n')).toMatch(/permission.*publish.*troupe_demo_nodes\.czE/i);
    await bob.nc.close();
  });

  test('a driver cannot forge the server\'s "no responders" on another\'s frames', async () => {
    // Below an inbox, a frame's reply subject names its calls: a 503 there would have them sent
    // again as not run. Only the server may answer there.
    const bob = await raw('bob', PASS.BOB_PASS);
    bob.nc.publish('troupe.demo.r.alice.x.1.1.1', '', {
      headers: natsHeaders(503, 'No Responders'),
    });
    await bob.nc.flush();
    await bob.nc.flush();
    expect(bob.errors.join('\n')).toMatch(/permission.*publish.*troupe\.demo\.r\.alice\.x\.1/i);
    await bob.nc.close();
  });

  test("a driver's frames can call an actor, never order its host about", async () => {
    // A relay passes on what callers send (calls, cancels, credit, terminate) and drops the
    // rest: a host's cells, its supervisor's orders (exit, shutdown), bytes for its thread.
    const { serialize, deserialize, Flags } = await import('../packages/cluster/dist/codec.js');
    const { Op, Status } = await import('../packages/runtime/dist/transport.js');
    const counter = spawn(Counter, { args: [10], name: 'ordered-about' });
    expect(await counter.incr(1)).toBe(11);
    const summary = listActors().find((a) => a.name === 'ordered-about');
    const subject = `troupe.demo.a.${summary?.id}.${summary?.incarnation ?? 1}`;
    const bob = await raw('bob', PASS.BOB_PASS);
    const inbox = 'troupe.demo.r.bob.x';
    const answers = bob.nc.subscribe(inbox, { max: 1 });
    await bob.nc.flush();
    const send = (message: unknown) =>
      bob.nc.publish(subject, serialize(Flags.None, [1, message]), { reply: `${inbox}.1.0.0` });
    send([Op.Exit]);
    send([Op.Shutdown, 1]);
    send([Op.CallCells, 0, [1, 2, 3]]);
    send([Op.Serialized, new Uint8Array([1, 2, 3])]);
    send([Op.Unify, {}]);
    // Then a call of its own (method -1, ready()): answered after the frames before it.
    send([Op.Calls, 1, -1, []]);
    for await (const msg of answers) {
      const { envelope } = deserialize(msg.data);
      expect((envelope[1] as unknown[])[0]).toBe(Op.Results);
      expect((envelope[1] as unknown[])[2]).toBe(Status.Ok);
    }
    await bob.nc.close();
    // The actor lives on, the same instance with its state.
    expect(await counter.incr(1)).toBe(12);
    expect(listActors().find((a) => a.name === 'ordered-about')?.incarnation).toBe(
      summary?.incarnation,
    );
    await kill(counter);
  });

  test('a wrong password is refused', async () => {
    await expect(
      natsConnect({
        servers: nats.url,
        authenticator: usernamePasswordAuthenticator('alice', 'wrong'),
        reconnect: false,
      }),
    ).rejects.toThrow(/authoriz/i);
  });
});

describe('the cluster decoder', () => {
  test('any bytes decode to an envelope or throw, and never take the process down', async () => {
    const { Peer } = await import('../packages/cluster/dist/peer.js');
    const peer = new Peer({} as never, 'fuzz', 'p');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        try {
          const envelope = peer.decode(bytes);
          expect(Array.isArray(envelope)).toBe(true);
        } catch (error) {
          // An error from this realm or Node's (jest runs tests in a vm context).
          expect(typeof (error as Error).message).toBe('string');
        }
      }),
      { numRuns: 5000 },
    );
    // Frames that start right: a valid header, then random bytes.
    const header = peer.encode([1, null], undefined).subarray(0, 7);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (tail) => {
        try {
          peer.decode(Buffer.concat([header, tail]));
        } catch (error) {
          // An error from this realm or Node's (jest runs tests in a vm context).
          expect(typeof (error as Error).message).toBe('string');
        }
      }),
      { numRuns: 5000 },
    );
  });
});
