import { RequestError } from '@nats-io/transport-node';
import { ActorDefinitionError, ActorDiedError, SerializationError } from '@troupe/runtime';
import {
  type ActorInfo,
  type ActorRecord,
  type ActorRef,
  type ActorSummary,
  type Call,
  CancelOutcome,
  encodeValue,
  ForwardingTarget,
  type PlacementRequest,
} from '@troupe/runtime/transport';
import type { Cluster } from './cluster.js';
import { nameEntry } from './cluster.js';
import { sizeOf, UnsendableError } from './codec.js';
import {
  CONTROL_TIMEOUT_MS,
  type ControlReply,
  type ControlRequest,
  type SentOptions,
} from './control.js';
import { type ActorEntry, bucketKey, isStale, persist, WRITE_BUDGET_MS } from './directory.js';
import { ClusterUnavailableError } from './errors.js';
import { type ClientLink, RemoteConnection } from './peer.js';

/** `READY_METHOD`: the call behind `ready()`, which waits for whichever instance comes next. */
const READY = -1;

/** One start of the actor on a node: its link, the connection through it, where it runs. */
interface Incarnation {
  readonly number: number;
  readonly link: ClientLink;
  readonly conn: RemoteConnection;
  node: string;
}

/**
 * An actor this process spawned on a cluster node, as its owner sees it. Its handles hold `ref`,
 * which follows the actor from one start to the next: when its node dies (no one serves it any
 * more, or the node stopped heartbeating), the owner starts it on another node while
 * `maxRestarts` allows, with a higher incarnation (decided by a compare-and-set on its directory
 * entry), and sends its interrupted calls there in their order: those whose retries allow, and
 * `ready()`; the others reject with `ActorDiedError` (they may have run).
 */
export class RemoteActor implements ActorRecord {
  readonly ref: ActorRef;
  readonly exited: Promise<void>;
  readonly info: ActorInfo;
  private current: Incarnation;
  private restartsLeft: number;
  private restarts = 0;
  private ending = false;
  private markExited: () => void = () => {};
  private readonly forwarding: ForwardingTarget;
  /**
   * `lifetime: 'detached'`: it outlives this process, and the nodes move it (any live one, by
   * compare-and-set on its entry); this process follows it through the directory as any other.
   */
  readonly detached: boolean;

  constructor(
    private readonly cluster: Cluster,
    private readonly request: PlacementRequest,
    actorId: string,
    /**
     * Picks a node for it (throws when none fits); asked again if the one picked is gone.
     * `moving`: for a later incarnation, where a placement on one node no longer binds.
     */
    private readonly pick: (moving: boolean) => string,
    private readonly classKey: string,
  ) {
    const node = pick(false);
    this.detached = request.options.lifetime === 'detached';
    this.info = { ...request.info, actorId };
    this.restartsLeft = request.maxRestarts;
    this.exited = new Promise((resolve) => {
      this.markExited = resolve;
    });
    this.current = this.incarnate(node, 1);
    this.ref = {
      info: this.info,
      resends: request.maxRestarts > 0,
      send: (call) => this.current.conn.send(call),
      cancel: (call, force, recursive) =>
        call.conn instanceof RemoteConnection
          ? call.conn.cancel(call, force, recursive)
          : CancelOutcome.NotStarted,
      ready: () => this.current.conn.ready(),
      connect: () => this.forwarding.connect(),
      kill: () => this.kill(),
      terminate: () => this.terminate(),
    };
    this.forwarding = new ForwardingTarget(this.ref);
    cluster.claimed.add(this.ref);
    void this.start(this.current);
  }

  /** The node it runs on (or is being started on). */
  get node(): string {
    return (this.detached && this.entry()?.node) || this.current.node;
  }

  /** Its directory entry, as this process's mirror has it. */
  private entry(): ActorEntry | undefined {
    return this.cluster.actors.get(bucketKey(this.info.actorId));
  }

  private incarnate(node: string, number: number): Incarnation {
    const link = this.cluster.peer.link();
    link.owned = !this.detached;
    const conn = new RemoteConnection(link, this.info);
    link.conn = conn;
    const incarnation: Incarnation = { number, link, conn, node };
    conn.onDeath = () => this.died(incarnation);
    return incarnation;
  }

  /**
   * An incarnation's connection died. A kill or an end the actor chose ends it; its node's
   * death moves it while restarts are left (the calls it held go on to the next incarnation).
   */
  private died(incarnation: Incarnation): void {
    if (incarnation !== this.current) return;
    const lost = incarnation.link.lostReason;
    // A detached actor's link follows it from node to node: lost, the actor is gone for good.
    if (lost === undefined || this.ending || this.restartsLeft <= 0 || this.detached) {
      this.markExited();
      return;
    }
    this.restartsLeft--;
    this.restarts++;
    // Its pending calls are taken before the connection rejects them; those that reached no one
    // did not run, and go to the next incarnation whatever their retries.
    const interrupted: { call: Call; reached: boolean }[] = [];
    incarnation.link.takePending((call, reached) => interrupted.push({ call, reached }));
    this.cluster.nodeGone(incarnation.node);
    let next: Incarnation;
    try {
      next = this.incarnate(this.pick(true), incarnation.number + 1);
    } catch (error) {
      for (const { call, reached } of interrupted) {
        call.reject(this.diedError(call.method, lost, error, reached));
      }
      this.markExited();
      return;
    }
    this.current = next;
    for (const { call, reached } of interrupted) {
      if (call.methodId === READY) next.conn.send(call);
      else call.interrupted(reached, () => this.diedError(call.method, lost));
    }
    void this.start(next);
  }

  private diedError(
    method: string,
    reason: string,
    also?: unknown,
    reached = true,
  ): ActorDiedError {
    const more = also === undefined ? '' : `, and it could not be started elsewhere: ${also}`;
    return new ActorDiedError(
      `Actor ${this.info.name} is dead (${reason}${more}); call '${method}' ` +
        (reached
          ? 'did not complete: it may have run in part, or not at all.'
          : 'reached no node: it did not run.'),
      this.info.name,
      reached,
    );
  }

  /** Starts `incarnation` on its node (the first start claims the name first). */
  private async start(incarnation: Incarnation): Promise<void> {
    const { cluster, request, info } = this;
    let nameRevision: number | undefined;
    try {
      if (incarnation.number === 1 && request.key !== undefined) {
        nameRevision = await this.claimName(request.key);
      } else if (incarnation.number > 1) {
        await this.claimMove(incarnation);
      }
      const transfers: unknown[] = [];
      // Encoded anew for each start: handles among them give new ports.
      const args = encodeValue(request.options.args ?? [], transfers as never[]) as unknown[];
      const message: ControlRequest = {
        op: 'spawn',
        actorId: info.actorId,
        incarnation: incarnation.number,
        classKey: this.classKey,
        info,
        threads: request.threads,
        options: sentOptions(request),
        args,
        ...(request.key !== undefined && incarnation.number === 1 ? { nameKey: request.key } : {}),
        owner: cluster.peer.id,
        restartable: request.maxRestarts > 0,
        ...(this.detached
          ? {
              detached: {
                restartsLeft: Number.isFinite(request.maxRestarts) ? request.maxRestarts : -1,
              },
            }
          : {}),
      };
      let reply = await this.spawnOnNode(incarnation, message, transfers);
      // A node past its lease (or without a registry) refuses: another may take it. A move waits
      // a while for one (every node may be fenced for a moment, as JetStream recovers after an
      // outage); a first spawn tries three others, then tells its caller.
      const moving = incarnation.number > 1;
      const deadline = performance.now() + this.cluster.suspectMs;
      for (let tries = 0; !reply.ok && reply.error.name === 'ClusterUnavailableError'; tries++) {
        this.cluster.nodeRefused(incarnation.node);
        if (moving ? performance.now() >= deadline : tries >= 3) break;
        const other = await this.anotherNode(moving, deadline);
        if (other === undefined) break;
        incarnation.node = other;
        reply = await this.spawnOnNode(incarnation, message, transfers);
      }
      if (!reply.ok) {
        throw reply.error.name === 'ClusterUnavailableError'
          ? new ClusterUnavailableError(reply.error.message)
          : new ActorDefinitionError(reply.error.message);
      }
      incarnation.link.setAddress({ subject: reply.subject });
    } catch (error) {
      if (nameRevision !== undefined && request.key !== undefined) {
        // Freed before the spawn's caller hears of the failure: it may spawn the name again.
        await cluster.freeName(bucketKey(request.key), info.actorId, nameRevision);
      }
      incarnation.link.fail(this.refusal(error));
      // Its calls have failed; the actor is no more.
      this.ending = true;
      setImmediate(() => incarnation.link.ended());
    }
  }

  /** A node to start it on, or undefined; a move waits (until `deadline`) for one to be live. */
  private async anotherNode(moving: boolean, deadline: number): Promise<string | undefined> {
    for (;;) {
      try {
        return this.pick(moving);
      } catch {
        if (!moving || performance.now() >= deadline) return undefined;
        await new Promise((resolve) => setTimeout(resolve, this.cluster.heartbeatMs));
      }
    }
  }

  /** Why a start failed, as calls see it: a constructor argument that cannot cross names it. */
  private refusal(error: unknown): Error {
    if (error instanceof UnsendableError) {
      if (error.argumentIndex < 0) error.argumentIndex = this.unsendableArgument();
      const which =
        error.argumentIndex >= 0
          ? `constructor argument ${error.argumentIndex}`
          : 'a constructor argument';
      return new SerializationError(
        `spawn(${this.request.className}): ${which} cannot be sent to its node (${error.message}).`,
        this.info.name,
        'constructor',
        Math.max(error.argumentIndex, 0),
      );
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  /** The first constructor argument that cannot cross machines alone, or -1. */
  private unsendableArgument(): number {
    const args = (this.request.options.args ?? []) as unknown[];
    for (let i = 0; i < args.length; i++) {
      const transfers: unknown[] = [];
      try {
        sizeOf(encodeValue(args[i], transfers as never[]));
      } catch {
        return i;
      } finally {
        for (const port of transfers) (port as { close?: () => void }).close?.();
      }
    }
    return -1;
  }

  private async claimName(key: string): Promise<number> {
    const { cluster, request, info } = this;
    try {
      // Sent again only when it was certainly not taken: a create that timed out may have
      // landed, and its retry would be refused as if another process held the name.
      return await persist(
        () =>
          cluster.buckets.names.create(
            bucketKey(key),
            JSON.stringify(nameEntry(info, cluster.peer.subject('a', info.actorId, '1'))),
          ),
        WRITE_BUDGET_MS,
      );
    } catch (error) {
      if (isStale(error)) {
        throw new ActorDefinitionError(
          `spawn(${request.className}, { name: '${request.options.name}' }): another process ` +
            `took that name in namespace '${request.options.namespace ?? 'default'}' first. ` +
            'Pass getIfExists: true to use it, or pick another name.',
        );
      }
      // Not refused, unanswered (no quorum): the write may still land later, and is undone then.
      void cluster.freeName(bucketKey(key), info.actorId);
      throw new ClusterUnavailableError(
        `spawn(${request.className}): the cluster's name registry cannot be written (${error}); ` +
          'is JetStream up (with a quorum of NATS servers)?',
      );
    }
  }

  /**
   * Moves the directory entry to the next incarnation, by compare-and-set: if the entry changed
   * meanwhile, another process decided, and this one stands down.
   */
  private async claimMove(incarnation: Incarnation): Promise<void> {
    const key = bucketKey(this.info.actorId);
    const entry = await this.cluster.buckets.actors.get(key);
    let value: ActorEntry | undefined;
    try {
      value = entry?.operation === 'PUT' ? entry.json<ActorEntry>() : undefined;
    } catch {
      value = undefined;
    }
    if (entry === null || value === undefined || value.incarnation >= incarnation.number) {
      throw new ClusterUnavailableError(
        `actor ${this.info.name}: its directory entry changed while it was being moved.`,
      );
    }
    const moved: ActorEntry = {
      ...value,
      node: incarnation.node,
      incarnation: incarnation.number,
      subject: this.cluster.peer.subject('a', this.info.actorId, String(incarnation.number)),
      state: 'starting',
    };
    try {
      // A compare-and-set not taken (no responder yet) is sent again; one unanswered is not.
      await persist(
        () => this.cluster.buckets.actors.update(key, JSON.stringify(moved), entry.revision),
        WRITE_BUDGET_MS,
      );
    } catch (error) {
      throw new ClusterUnavailableError(
        `actor ${this.info.name} could not be moved: its directory entry cannot be written ` +
          `(${error}).`,
      );
    }
  }

  /**
   * Asks the chosen node to start it. A node that is certainly gone ("no responders": the request
   * reached no one, so nothing started) is passed over and another is picked.
   */
  private async spawnOnNode(
    incarnation: Incarnation,
    message: ControlRequest,
    transfers: unknown[],
  ): Promise<ControlReply> {
    const { peer } = this.cluster;
    const frame = peer.encode([0, message as never], transfers);
    for (;;) {
      try {
        return await this.ask(incarnation.node, frame);
      } catch (error) {
        if (!(error instanceof RequestError) || !error.isNoResponders()) {
          throw new ClusterUnavailableError(
            `node ${incarnation.node} did not answer the spawn of ${this.info.name} (${error}).`,
          );
        }
        this.cluster.nodeGone(incarnation.node);
        incarnation.node = this.pick(incarnation.number > 1);
      }
    }
  }

  private async ask(node: string, frame: Uint8Array): Promise<ControlReply> {
    const { peer } = this.cluster;
    const answer = await peer.nc.request(peer.subject('n', node, 'ctl'), frame, {
      timeout: CONTROL_TIMEOUT_MS,
    });
    return (peer.decode(answer.data) as unknown as [number, ControlReply])[1];
  }

  summary(): ActorSummary {
    const node = this.cluster.nodes.get(bucketKey(this.node));
    const stats = node?.actors.find((actor) => actor.id === this.info.actorId);
    return {
      id: this.info.actorId,
      name: this.info.name,
      kind: this.info.kind,
      threads: stats?.threads ?? 0,
      queued: stats?.queued ?? 0,
      running: stats?.running ?? 0,
      done: stats?.done ?? 0,
      failed: stats?.failed ?? 0,
      restarts: this.restarts + (stats?.restarts ?? 0),
      node: this.node,
      incarnation: (this.detached && this.entry()?.incarnation) || this.current.number,
    };
  }

  /**
   * Ends the actor now; with `noRestart` false, as a crash would: its node restarts it there
   * while `maxRestarts` allows.
   */
  async kill(noRestart = true): Promise<void> {
    if (!noRestart) {
      const request: ControlRequest = { op: 'kill', actorId: this.info.actorId, noRestart: false };
      try {
        await this.ask(this.node, this.cluster.peer.encode([0, request as never], undefined));
        return;
      } catch {
        // Its node is gone: the actor moves (or ends) as its death is found.
        return;
      }
    }
    this.ending = true;
    this.current.link.expectingEnd = true;
    await this.current.conn.kill();
    await this.exited;
  }

  async shutdown(timeoutMs?: number): Promise<void> {
    this.ending = true;
    if (this.current.conn.isDead) return;
    try {
      const request: ControlRequest = {
        op: 'shutdown',
        actorId: this.info.actorId,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      };
      await this.ask(this.node, this.cluster.peer.encode([0, request as never], undefined));
    } catch {
      this.current.link.expectingEnd = true;
      await this.current.conn.kill();
    }
    await this.exited;
  }

  async terminate(): Promise<void> {
    this.ending = true;
    this.current.link.expectingEnd = true;
    await this.current.conn.terminate();
    await this.exited;
  }
}

function sentOptions(request: PlacementRequest): SentOptions {
  const { options } = request;
  const sent: SentOptions = {};
  if (options.maxConcurrency !== undefined) sent.maxConcurrency = options.maxConcurrency;
  if (options.maxPendingCalls !== undefined) sent.maxPendingCalls = options.maxPendingCalls;
  if (options.maxRestarts !== undefined) sent.maxRestarts = options.maxRestarts;
  if (options.maxTaskRetries !== undefined) sent.maxTaskRetries = options.maxTaskRetries;
  if (options.resourceLimits !== undefined) {
    sent.resourceLimits = { ...options.resourceLimits } as Record<string, number>;
  }
  if (options.name !== undefined) sent.name = options.name;
  if (options.namespace !== undefined) sent.namespace = options.namespace;
  return sent;
}
