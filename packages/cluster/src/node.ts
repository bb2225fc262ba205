import { hostname } from 'node:os';
import { type Msg, RequestError, type Subscription } from '@nats-io/transport-node';
import { ActorDefinitionError, listActors, spawn } from '@troupe/runtime';
import {
  type ActorRef,
  decodeValue,
  ownedRecord,
  refOf,
  useFence,
} from '@troupe/runtime/transport';
import type { Cluster } from './cluster.js';
import type { ControlReply, ControlRequest } from './control.js';
import {
  type ActorEntry,
  bucketKey,
  type DetachedSpec,
  isStale,
  type NodeRecord,
} from './directory.js';
import { ClusterUnavailableError } from './errors.js';
import { type Manifest, refused } from './manifest.js';
import type { Service } from './peer.js';

export interface NodeOptions {
  /** This node's id in the cluster (`--name`). */
  id: string;
  /** Worker threads it offers to actors. */
  threads: number;
  labels: Record<string, string>;
}

/**
 * A process that hosts actors for a cluster (`troupe-node`): it spawns the classes its manifest
 * lists on request, with today's supervisor, serves each on its own subject, and tells the
 * cluster every heartbeat what it holds.
 */
export class NodeHost {
  private ctl: Subscription | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private busy = 0;
  private readonly served = new Map<
    string,
    {
      service: Service;
      threads: number;
      clusterId: string;
      owner: string;
      incarnation: number;
      detached: boolean;
    }
  >();
  private stopped = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly manifest: Manifest,
    readonly options: NodeOptions,
  ) {}

  /** The lease: until when (process.hrtime.bigint()) this node may serve; shared with workers. */
  private readonly fence = new BigInt64Array(new SharedArrayBuffer(8));
  /** It went past its lease since it last renewed it. */
  private lapsed = false;

  private leaseHolds(): boolean {
    return process.hrtime.bigint() < Atomics.load(this.fence, 0);
  }

  async start(): Promise<void> {
    const { peer } = this.cluster;
    useFence(this.fence);
    peer.admit = () => this.leaseHolds();
    this.ctl = peer.nc.subscribe(peer.subject('n', this.options.id, 'ctl'), {
      callback: (error, msg) => {
        if (!error) void this.control(msg);
      },
    });
    await peer.nc.flush();
    this.stopWatching = this.cluster.actors.onChange((key, value) => {
      if (value !== undefined) this.entryChanged(key, value);
    });
    await this.beat();
    this.heartbeat = setInterval(() => {
      void this.beat().then(() => this.adopt());
      void this.checkOwners();
    }, this.cluster.heartbeatMs);
  }

  private checking = false;
  private stopWatching: (() => void) | undefined;

  /**
   * An actor served here whose directory entry now says it was given up (`lost`) or started again
   * elsewhere (a later incarnation) ends at once, lease or not: its owner no longer counts on it,
   * and a call it still held must not run. (A node past its lease also checks every entry when it
   * renews, in case it missed the change.) Only what the entry says for certain counts: an entry
   * gone, or an older incarnation replayed by a mirror catching up, ends nothing.
   */
  private entryChanged(key: string, value: ActorEntry): void {
    const localId = this.localIds.get(Buffer.from(key, 'base64url').toString());
    const served = localId === undefined ? undefined : this.served.get(localId);
    if (localId === undefined || served === undefined) return;
    if (
      value.incarnation > served.incarnation ||
      (value.incarnation === served.incarnation && value.state === 'lost')
    ) {
      void this.giveUp(localId, value.incarnation > served.incarnation ? 'moved' : 'ended');
    }
  }

  /**
   * Ends an actor served here that its callers no longer count on here: given up (`ended`: its
   * callers hear that it ended), started again elsewhere (`moved`), or held by a node taken for
   * dead and detached (`restart`: its entry stays, and it starts again here as its next
   * incarnation, `adopt`). An actor that goes on somewhere does not tell its callers it ended:
   * they find nothing here, and follow it.
   */
  private async giveUp(localId: string, why: 'ended' | 'moved' | 'restart'): Promise<void> {
    const served = this.served.get(localId);
    if (served === undefined) return;
    if (why === 'restart') this.restarting.add(served.clusterId);
    if (why !== 'ended') served.service.close(true);
    await ownedRecord(localId)?.kill();
  }

  /** Owners whose inbox had no listener at the last check, since when (performance.now()). */
  private readonly unanswered = new Map<string, number>();

  /**
   * Ends the actors whose owner is gone (Ray's fate sharing): a request to the owner's inbox
   * answered "no responders", again and again for `suspectMs`, means no process listens there any
   * more. A live owner never answers (the request times out), a frozen one still listens: neither
   * is ended; nor is one that has not yet subscribed again after a NATS outage.
   */
  private async checkOwners(): Promise<void> {
    if (this.checking || this.stopped) return;
    this.checking = true;
    try {
      // A detached actor outlives its owner.
      const owners = new Set(
        [...this.served.values()].filter((s) => !s.detached).map((served) => served.owner),
      );
      for (const owner of this.unanswered.keys())
        if (!owners.has(owner)) this.unanswered.delete(owner);
      await Promise.all(
        [...owners].map(async (owner) => {
          try {
            await this.cluster.peer.nc.request(this.cluster.peer.subject('r', owner), undefined, {
              timeout: this.cluster.heartbeatMs,
            });
          } catch (error) {
            if (!(error instanceof RequestError) || !error.isNoResponders()) {
              this.unanswered.delete(owner);
              return;
            }
            const now = performance.now();
            const since = this.unanswered.get(owner) ?? now;
            this.unanswered.set(owner, since);
            if (now - since < this.cluster.suspectMs) return;
            this.unanswered.delete(owner);
            for (const [localId, served] of this.served) {
              if (served.owner === owner && !served.detached) void ownedRecord(localId)?.kill();
            }
          }
        }),
      );
    } finally {
      this.checking = false;
    }
  }

  record(): NodeRecord {
    return {
      id: this.options.id,
      labels: this.options.labels,
      threads: this.options.threads,
      busy: this.busy,
      classes: this.manifest.keys(),
      actors: listActors().flatMap(
        ({ id, name, queued, running, done, failed, restarts, threads }) => {
          const served = this.served.get(id);
          if (served === undefined) return [];
          return [
            {
              id: served.clusterId,
              name,
              queued,
              running,
              done,
              failed,
              restarts,
              threads,
            },
          ];
        },
      ),
      pid: process.pid,
      host: hostname(),
    };
  }

  /**
   * Renews this node's record, and with it its lease: from the moment the write began (monotonic
   * time), for `leaseMs`. A node whose lease lapsed (frozen, cut off, or without a JetStream
   * quorum) first ends every actor whose directory entry says it was given up.
   */
  private async beat(): Promise<void> {
    if (this.stopped) return;
    if (this.beating) return this.beating;
    this.beating = this.renew();
    try {
      await this.beating;
    } finally {
      this.beating = undefined;
    }
  }

  private async renew(): Promise<void> {
    const began = process.hrtime.bigint();
    if (!this.leaseHolds()) this.lapsed = true;
    try {
      const declared = !(await this.writeRecord());
      // A write that outlasted the lease is a lapse too: others may have given the node up
      // meanwhile, so it reads the directory before it serves again.
      if (!this.leaseHolds()) this.lapsed = true;
      if (declared) {
        // Another process declared it dead (its lease had lapsed, as seen there): the calls it
        // held were given up. Everything it held ends, and it joins again.
        await this.reconcile(true);
        this.revision = undefined;
        await this.writeRecord();
      } else if (this.lapsed) {
        // Unheard for suspectMs by now: others took it for dead, and an owner may have given its
        // actors up without being able to say so (no JetStream quorum): they end.
        const unheard =
          process.hrtime.bigint() - this.renewed >= BigInt(this.cluster.suspectMs) * 1_000_000n;
        await this.reconcile(unheard);
      }
      this.lapsed = false;
      this.renewed = began;
      Atomics.store(this.fence, 0, began + BigInt(this.cluster.leaseMs) * 1_000_000n);
      Atomics.notify(this.fence, 0);
    } catch {
      // Missed: the lease runs on from the last beat that succeeded, and may lapse.
    }
  }

  /** The revision of the record this node last wrote (undefined: it writes it anew). */
  private revision: number | undefined;

  /**
   * Writes this node's record: by compare-and-set on the one it wrote last, so that a record
   * another process wrote since (declaring it dead) stops it renewing. False if it was declared
   * dead; throws if the record could not be written. Bounded: a write lost in an outage must not
   * hold back the heartbeats after it.
   */
  private async writeRecord(): Promise<boolean> {
    const { nodes } = this.cluster.buckets;
    const key = bucketKey(this.options.id);
    const data = JSON.stringify(this.record());
    const timeout = Math.max(this.cluster.heartbeatMs, Math.floor(this.cluster.leaseMs / 2));
    if (this.revision === undefined) {
      this.revision = await nodes.put(key, data, { timeout });
      return true;
    }
    try {
      this.revision = await nodes.update(key, data, this.revision, timeout);
      return true;
    } catch (error) {
      if (!isStale(error)) throw error;
    }
    // Written since: declared dead, or its own write that timed out here landed after all.
    const latest = await nodes.get(key);
    let declared = false;
    try {
      declared = latest?.operation === 'PUT' && latest.json<NodeRecord>().suspected !== undefined;
    } catch {}
    if (declared) return false;
    const revision = latest?.revision;
    this.revision = await (revision === undefined
      ? nodes.put(key, data, { timeout })
      : nodes.update(key, data, revision, timeout));
    return true;
  }

  /** When the last heartbeat that renewed the lease began (process.hrtime.bigint()). */
  private renewed = process.hrtime.bigint();

  /** The heartbeat on its way, if one is. */
  private beating: Promise<void> | undefined;

  /**
   * After a lapse: ends the actors whose owner gave them up (their entry moved or was lost), and
   * with `all` every actor (taken for dead, the node may have had its calls given up): a detached
   * one whose entry still names this node starts again here, as its next incarnation (`adopt`),
   * and its callers follow it there.
   */
  private async reconcile(all: boolean): Promise<void> {
    const given: Promise<void>[] = [];
    for (const [localId, served] of this.served) {
      if (all) {
        given.push(this.giveUp(localId, served.detached ? 'restart' : 'ended'));
        continue;
      }
      const entry = await this.cluster.buckets.actors.get(bucketKey(served.clusterId));
      let value: ActorEntry | undefined;
      try {
        value = entry?.operation === 'PUT' ? entry.json<ActorEntry>() : undefined;
      } catch {
        value = undefined;
      }
      if (
        value === undefined ||
        value.node !== this.options.id ||
        value.incarnation !== served.incarnation ||
        value.state === 'lost'
      ) {
        const moved = value !== undefined && value.incarnation > served.incarnation;
        given.push(this.giveUp(localId, moved ? 'moved' : 'ended'));
      }
    }
    await Promise.all(given);
  }

  private async control(msg: Msg): Promise<void> {
    const { peer } = this.cluster;
    let reply: ControlReply;
    try {
      const [, request] = peer.decode(msg.data) as unknown as [number, ControlRequest];
      reply = await this.handle(request, msg.data);
    } catch (error) {
      reply = { ok: false, error: describe(error) };
    }
    if (msg.reply) msg.respond(peer.encode([0, reply as never], undefined));
  }

  /**
   * Serves `request`. `frame`: the request as it came (kept in a detached actor's entry, for the
   * node that restarts it), or the spec of the detached actor this node is restarting.
   */
  private async handle(request: ControlRequest, frame: Uint8Array | string): Promise<ControlReply> {
    // Past its lease, a node waits for the heartbeat that may renew it (after a freeze, it ends
    // what its owners gave up first).
    if (!this.leaseHolds()) await this.beat();
    if (!this.leaseHolds()) {
      throw new ClusterUnavailableError(
        `node ${this.options.id} is past its lease (it could not renew its heartbeat): it ` +
          'serves nothing until it can.',
      );
    }
    if (request.op === 'kill') {
      const record = ownedRecord(this.localIds.get(request.actorId) ?? '');
      await record?.kill(request.noRestart);
      return { ok: true, subject: '', incarnation: 0 };
    }
    if (request.op === 'shutdown') {
      const record = ownedRecord(this.localIds.get(request.actorId) ?? '');
      await record?.shutdown(request.timeoutMs);
      return { ok: true, subject: '', incarnation: 0 };
    }
    this.handling.add(request.actorId);
    try {
      return await this.spawnHere(request, frame);
    } finally {
      this.handling.delete(request.actorId);
    }
  }

  /** Detached actors ended here to start again here (by cluster id): their entry stays. */
  private readonly restarting = new Set<string>();

  /** Actors being started here (by cluster id). */
  private readonly handling = new Set<string>();

  private async spawnHere(
    request: ControlRequest & { op: 'spawn' },
    frame: Uint8Array | string,
  ): Promise<ControlReply> {
    const { id } = this.options;
    if (!this.manifest.has(request.classKey)) {
      throw refused(request.classKey, id, this.manifest.file);
    }
    const threads = Math.max(1, Math.floor(Number(request.threads) || 1));
    if (this.busy + threads > this.options.threads) {
      throw new ActorDefinitionError(
        `node ${id} has ${this.options.threads - this.busy} of its ${this.options.threads} ` +
          `threads free, and ${request.info.name} needs ${threads}: place it on another node, or ` +
          'start troupe-node with more --threads.',
      );
    }
    const cls = (await this.manifest.load(request.classKey, id)) as Parameters<typeof spawn>[0];
    const args = decodeValue(request.args) as unknown[];
    const incarnation = request.incarnation ?? 1;
    const subject = this.cluster.peer.subject('a', request.actorId, String(incarnation));
    const entry: ActorEntry = {
      node: id,
      incarnation,
      owner: request.owner,
      subject,
      className: request.classKey.split('@')[0] ?? '',
      name: request.info.name,
      ...(request.restartable ? { restartable: true as const } : {}),
      ...(request.detached !== undefined
        ? { detached: detachedSpec(request, frame, this.cluster.peer.inlineLimit) }
        : {}),
    };
    // In the directory before it starts: a registry that cannot be written starts nothing.
    try {
      await this.cluster.putActor(request.actorId, { ...entry, state: 'starting' });
    } catch (error) {
      throw new ClusterUnavailableError(
        `node ${id}: the actor directory cannot be written (${error}); is JetStream up, with a ` +
          'quorum of NATS servers?',
      );
    }
    if (request.nameKey !== undefined) this.cluster.preclaimed.add(request.nameKey);
    let handle: object;
    try {
      handle = spawn(cls, {
        ...request.options,
        args,
        placement: 'local',
      } as never);
    } catch (error) {
      await this.cluster.deleteActor(request.actorId);
      throw error;
    } finally {
      if (request.nameKey !== undefined) this.cluster.preclaimed.delete(request.nameKey);
    }
    const ref = refOf(handle);
    const record = ref && ownedRecord(ref.info.actorId);
    if (ref === undefined || record === undefined) {
      throw new Error(`node ${id}: the spawned actor has no record`);
    }
    // The owner's handle retries a call whose method threw a listed error: this side must not
    // retry that answer again (one budget a call). A crash here is seen here alone: this side
    // resends the running call within its maxTaskRetries, as on one machine.
    // An actor with one worker and no restarts is relayed: each calling link's messages pass to
    // its worker as they arrive (one more caller there), not call by call through this thread.
    // A restartable or threaded one is forwarded by this thread, which follows it to its next
    // worker, or spreads its calls among its threads.
    const relay = ref.info.kind !== 'threaded' && ref.resends !== true;
    const service = this.cluster.peer.serve(withoutErrorRetries(ref), subject, relay);
    // Serving (the server has its subscription) before others are told to call it there.
    await this.cluster.peer.nc.flush();
    await this.cluster.putActor(request.actorId, entry).catch(() => {});
    this.busy += threads;
    this.served.set(ref.info.actorId, {
      service,
      threads,
      clusterId: request.actorId,
      owner: request.owner,
      incarnation,
      detached: request.detached !== undefined,
    });
    this.localIds.set(request.actorId, ref.info.actorId);
    void record.exited.then(async () => {
      service.close();
      this.busy -= threads;
      this.served.delete(ref.info.actorId);
      this.localIds.delete(request.actorId);
      // Its entry and name go, unless it moved on (a later incarnation elsewhere has them now),
      // or starts again here.
      const now = this.cluster.actors.get(bucketKey(request.actorId));
      if (
        this.restarting.delete(request.actorId) ||
        (now !== undefined && (now.node !== id || now.incarnation !== incarnation))
      ) {
        void this.beat();
        return;
      }
      await this.cluster.deleteActor(request.actorId);
      if (request.nameKey !== undefined) {
        await this.cluster.freeName(bucketKey(request.nameKey), request.actorId);
      }
      void this.beat();
    });
    void this.beat();
    return { ok: true, subject, incarnation };
  }

  private adopting = false;

  /**
   * Restarts here the detached actors whose node is taken for dead (not heard from within
   * `suspectMs`, so past its lease: it runs nothing more), each by compare-and-set on its entry,
   * so that of all the nodes trying one wins; one with no restarts left is ended for good.
   */
  private async adopt(): Promise<void> {
    if (this.adopting || this.stopped || !this.leaseHolds()) return;
    this.adopting = true;
    try {
      for (const [key, { value, revision }] of [...this.cluster.actors.entries]) {
        const spec = value.detached;
        if (spec === undefined) continue;
        const actorId = Buffer.from(key, 'base64url').toString();
        // On this node's id but not served here: an earlier process under this id had it.
        const alive =
          value.node === this.options.id
            ? this.localIds.has(actorId) || this.handling.has(actorId)
            : this.cluster.isLive(value.node);
        if (alive) continue;
        // Another node's: once this process has declared it dead (it can serve nothing more).
        if (value.node !== this.options.id && !(await this.cluster.fenced(value.subject))) continue;
        if (spec.restartsLeft === 0) await this.endDetached(key, actorId, value, revision);
        else await this.adoptOne(key, actorId, value, revision, spec).catch(() => {});
      }
    } finally {
      this.adopting = false;
    }
  }

  private async adoptOne(
    key: string,
    actorId: string,
    value: ActorEntry,
    revision: number,
    spec: DetachedSpec,
  ): Promise<void> {
    const { peer } = this.cluster;
    const [, sent] = peer.decode(Buffer.from(spec.spawn, 'base64')) as unknown as [
      number,
      ControlRequest,
    ];
    if (sent.op !== 'spawn' || !this.manifest.has(sent.classKey)) return;
    const threads = Math.max(1, Math.floor(Number(sent.threads) || 1));
    if (this.busy + threads > this.options.threads) return;
    const incarnation = value.incarnation + 1;
    const restartsLeft = spec.restartsLeft < 0 ? -1 : spec.restartsLeft - 1;
    const request: ControlRequest = { ...sent, incarnation, detached: { restartsLeft } };
    const subject = peer.subject('a', actorId, String(incarnation));
    const taken: ActorEntry = {
      ...value,
      node: this.options.id,
      incarnation,
      subject,
      state: 'starting',
      detached: { spawn: spec.spawn, restartsLeft },
    };
    try {
      await this.cluster.buckets.actors.update(key, JSON.stringify(taken), revision);
    } catch {
      return; // Another node took it first (or the directory cannot be written).
    }
    try {
      await this.handle(request, spec.spawn);
    } catch (error) {
      // Given back, still on the dead node: another node may take it.
      await this.cluster.buckets.actors
        .put(key, JSON.stringify({ ...taken, node: value.node, state: 'lost' }))
        .catch(() => {});
      process.emitWarning(
        `troupe-node ${this.options.id}: detached actor ${value.name} could not be restarted ` +
          `here (${error instanceof Error ? error.message : error}).`,
      );
    }
  }

  /** A detached actor whose node died with no restarts left: its entry and name go. */
  private async endDetached(
    key: string,
    actorId: string,
    value: ActorEntry,
    revision: number,
  ): Promise<void> {
    try {
      await this.cluster.buckets.actors.delete(key, { previousSeq: revision });
    } catch {
      return;
    }
    for (const [nameKey, entry] of this.cluster.names.entries) {
      if (entry.value.actorId === actorId) {
        await this.cluster.buckets.names
          .delete(nameKey, { previousSeq: entry.revision })
          .catch(() => {});
      }
    }
    process.emitWarning(
      `troupe-node ${this.options.id}: detached actor ${value.name} ended: its node ` +
        `${value.node} died and it had no restarts left.`,
    );
  }

  /** Cluster actor id → the id of the local actor that serves it. */
  private readonly localIds = new Map<string, string>();

  /** Ends every actor and leaves the cluster's node list. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.stopWatching?.();
    this.ctl?.unsubscribe();
    await this.cluster.buckets.nodes.delete(bucketKey(this.options.id)).catch(() => {});
  }
}

/**
 * A detached actor's restart spec: its spawn request as received (or, restarted, as kept), with
 * the moves left. The request must fit in a directory entry.
 */
function detachedSpec(
  request: ControlRequest & { op: 'spawn' },
  frame: Uint8Array | string,
  limit: number,
): DetachedSpec {
  const spawn = typeof frame === 'string' ? frame : Buffer.from(frame).toString('base64');
  if (spawn.length > limit / 2) {
    throw new ActorDefinitionError(
      `spawn(${request.info.name}, { lifetime: 'detached' }): its constructor arguments take ` +
        `${Math.ceil((spawn.length * 3) / 4)} bytes; a detached actor's spawn is kept in the cluster's directory, ` +
        `which takes at most ${Math.floor(limit / 3)}. Pass less (a name or a path to load from).`,
    );
  }
  return { spawn, restartsLeft: request.detached?.restartsLeft ?? 0 };
}

function describe(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** `ref` that retries calls after crashes only: its callers retry the errors they list. */
function withoutErrorRetries(ref: ActorRef): ActorRef {
  const info = {
    ...ref.info,
    retries: ref.info.retries.map((policy) =>
      policy === undefined ? undefined : { ...policy, retryExceptions: false as const },
    ),
  };
  return {
    info,
    ...(ref.resends !== undefined ? { resends: ref.resends } : {}),
    send: (call) => ref.send(call),
    cancel: (call, force, recursive) => ref.cancel(call, force, recursive),
    ready: () => ref.ready(),
    connect: () => ref.connect(),
    kill: () => ref.kill(),
    terminate: (timeoutMs) => ref.terminate(timeoutMs),
  };
}
