import { RequestError } from '@nats-io/transport-node';
import { ActorDefinitionError } from '@troupe/runtime';
import {
  type ActorRecord,
  type ActorSummary,
  encodeValue,
  type PlacementRequest,
} from '@troupe/runtime/transport';
import type { Cluster } from './cluster.js';
import { nameEntry } from './cluster.js';
import {
  CONTROL_TIMEOUT_MS,
  type ControlReply,
  type ControlRequest,
  type SentOptions,
} from './control.js';
import { bucketKey } from './directory.js';
import { ClusterUnavailableError } from './errors.js';
import { type ClientLink, RemoteConnection } from './peer.js';

/**
 * An actor this process spawned on a cluster node, as its owner sees it: a connection whose link
 * waits until the node has started it, and the node's counts for `listActors()`.
 */
export class RemoteActor implements ActorRecord {
  readonly ref: RemoteConnection;
  readonly exited: Promise<void>;
  private readonly link: ClientLink;
  private incarnation = 0;
  /** The node it runs on (or is being started on). */
  node: string;

  constructor(
    private readonly cluster: Cluster,
    request: PlacementRequest,
    actorId: string,
    /** Picks a node for it (throws when none fits); asked again if the first one is gone. */
    private readonly pick: () => string,
    classKey: string,
  ) {
    this.node = pick();
    this.link = cluster.peer.link();
    const info = { ...request.info, actorId };
    this.ref = new RemoteConnection(this.link, info);
    this.link.conn = this.ref;
    cluster.claimed.add(this.ref);
    this.exited = new Promise((resolve) => {
      this.ref.onDeath = () => resolve();
    });
    void this.start(request, classKey);
  }

  private async start(request: PlacementRequest, classKey: string): Promise<void> {
    const { cluster } = this;
    const { info } = this.ref;
    let nameRevision: number | undefined;
    try {
      if (request.key !== undefined) {
        try {
          nameRevision = await cluster.buckets.names.create(
            bucketKey(request.key),
            JSON.stringify(nameEntry(info, cluster.peer.subject('a', info.actorId, '1'))),
          );
        } catch (error) {
          if (String(error).includes('wrong last sequence') || String(error).includes('exists')) {
            throw new ActorDefinitionError(
              `spawn(${request.className}, { name: '${request.options.name}' }): another process ` +
                `took that name in namespace '${request.options.namespace ?? 'default'}' first. ` +
                'Pass getIfExists: true to use it, or pick another name.',
            );
          }
          throw new ClusterUnavailableError(
            `spawn(${request.className}): the cluster's name registry cannot be written (${error}); ` +
              'is JetStream up (with a quorum of NATS servers)?',
          );
        }
      }
      const transfers: unknown[] = [];
      const args = encodeValue(request.options.args ?? [], transfers as never[]) as unknown[];
      const message: ControlRequest = {
        op: 'spawn',
        actorId: info.actorId,
        classKey,
        info,
        options: sentOptions(request),
        args,
        ...(request.key !== undefined ? { nameKey: request.key } : {}),
        owner: cluster.peer.id,
      };
      const reply = await this.spawnOnNode(message, transfers);
      if (!reply.ok) {
        throw reply.error.name === 'ClusterUnavailableError'
          ? new ClusterUnavailableError(reply.error.message)
          : new ActorDefinitionError(reply.error.message);
      }
      this.incarnation = reply.incarnation;
      this.link.setAddress({ subject: reply.subject });
    } catch (error) {
      if (nameRevision !== undefined && request.key !== undefined) {
        await cluster.buckets.names
          .delete(bucketKey(request.key), { previousSeq: nameRevision })
          .catch(() => {});
      }
      this.link.fail(error instanceof Error ? error : new Error(String(error)));
      // Its calls have failed; the actor never was.
      setImmediate(() => this.link.ended());
    }
  }

  /**
   * Asks the chosen node to start it. A node that is certainly gone ("no responders": the request
   * reached no one, so nothing started) is passed over and another is picked.
   */
  private async spawnOnNode(message: ControlRequest, transfers: unknown[]): Promise<ControlReply> {
    const { peer } = this.cluster;
    const frame = peer.encode([0, message as never], transfers);
    for (;;) {
      try {
        return await this.ask(frame);
      } catch (error) {
        if (!(error instanceof RequestError) || !error.isNoResponders()) {
          throw new ClusterUnavailableError(
            `node ${this.node} did not answer the spawn of ${this.ref.info.name} (${error}).`,
          );
        }
        this.cluster.nodeGone(this.node);
        this.node = this.pick();
      }
    }
  }

  private async ask(frame: Uint8Array): Promise<ControlReply> {
    const { peer } = this.cluster;
    const answer = await peer.nc.request(peer.subject('n', this.node, 'ctl'), frame, {
      timeout: CONTROL_TIMEOUT_MS,
    });
    return (peer.decode(answer.data) as unknown as [number, ControlReply])[1];
  }

  summary(): ActorSummary {
    const node = this.cluster.nodes.get(bucketKey(this.node));
    const stats = node?.actors.find((actor) => actor.id === this.ref.info.actorId);
    return {
      id: this.ref.info.actorId,
      name: this.ref.info.name,
      kind: this.ref.info.kind,
      threads: stats?.threads ?? 0,
      queued: stats?.queued ?? 0,
      running: stats?.running ?? 0,
      done: stats?.done ?? 0,
      failed: stats?.failed ?? 0,
      restarts: stats?.restarts ?? 0,
      node: this.node,
      incarnation: this.incarnation,
    };
  }

  async kill(): Promise<void> {
    await this.ref.kill();
    await this.exited;
  }

  async shutdown(timeoutMs?: number): Promise<void> {
    if (this.ref.isDead) return;
    try {
      const request: ControlRequest = {
        op: 'shutdown',
        actorId: this.ref.info.actorId,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      };
      await this.ask(this.cluster.peer.encode([0, request as never], undefined));
    } catch {
      await this.ref.kill();
    }
    await this.exited;
  }

  async terminate(): Promise<void> {
    await this.ref.terminate();
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
