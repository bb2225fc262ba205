import { ActorDefinitionError, type ActorHandle } from '@troupe/runtime';
import {
  handleFor,
  nameKey,
  type PlacementRequest,
  useSpawnPlacer,
} from '@troupe/runtime/transport';
import { Cluster, type ConnectOptions, infoFrom } from './cluster.js';
import { bucketKey, type NodeRecord } from './directory.js';
import { ClusterUnavailableError } from './errors.js';
import { classKey, moduleHash } from './manifest.js';
import { RemoteActor } from './remote-actor.js';

let current: Cluster | undefined;
let sequence = 0;

/** The cluster this process joined, for the node host and the public API. */
export function currentCluster(): Cluster | undefined {
  return current;
}

/**
 * Joins a cluster: from now on `spawn` places actors on its nodes (`placement` in the spawn
 * options), names are cluster-wide, and handles cross machines. Call `disconnect()` at the end:
 * the NATS connection keeps the process alive.
 *
 * @example
 * await connect({ servers: 'nats://127.0.0.1:4222' });
 * const counter = spawn(Counter);            // on the least loaded node that has Counter
 * await counter.incr(1);
 */
export async function connect(options: ConnectOptions): Promise<void> {
  if (current !== undefined) {
    throw new TypeError('connect(): this process is in a cluster already; disconnect() first.');
  }
  const cluster = await Cluster.open(options);
  current = cluster;
  cluster.installNames();
  promised.clear();
  // A node's new record counts every actor it had started when it wrote it.
  cluster.nodes.onChange((key, record) => {
    const node = Buffer.from(key, 'base64url').toString();
    promised.delete(node);
    // What its new record no longer lists is forgotten.
    const listed = new Set(record?.actors.map((actor) => actor.id));
    for (const [id, on] of ended) if (on === node && !listed.has(id)) ended.delete(id);
  });
  useSpawnPlacer({ place: (request) => place(cluster, request) });
  cluster.peer.onNodeDead = async (node) => {
    // Detached actors are the nodes' to move: this process only follows them.
    const mine = [...placed].filter((actor) => actor.node === node && !actor.detached);
    await Promise.all(mine.map((actor) => cluster.markLost(actor.ref.info.actorId)));
  };
}

/**
 * Leaves the cluster: the actors this process spawned on nodes end (as Ray's actors end with
 * their owner), except detached ones, then the connection closes. Local actors go on.
 */
export async function disconnect(): Promise<void> {
  const cluster = current;
  if (cluster === undefined) return;
  current = undefined;
  useSpawnPlacer(undefined);
  await Promise.all(
    [...placed].filter((actor) => !actor.detached).map((actor) => actor.kill().catch(() => {})),
  );
  await cluster.close();
}

/** Actors this process placed on nodes and that are still alive. */
const placed = new Set<RemoteActor>();

/** A node as `listNodes()` shows it. */
export interface NodeSummary {
  id: string;
  labels: Record<string, string>;
  threads: number;
  /** Threads its actors take. */
  busy: number;
  host: string;
  pid: number;
  actors: { id: string; name: string; queued: number; running: number; done: number }[];
}

/** The live nodes of the cluster, with their load and actors. */
export function listNodes(): NodeSummary[] {
  const cluster = mustBeConnected('listNodes()');
  return cluster.liveNodes().map((node) => ({
    id: node.id,
    labels: node.labels,
    threads: node.threads,
    busy: node.busy,
    host: node.host,
    pid: node.pid,
    actors: node.actors.map(({ id, name, queued, running, done }) => ({
      id,
      name,
      queued,
      running,
      done,
    })),
  }));
}

/**
 * The handle of the actor named `name`, waiting up to `timeoutMs` for the name to reach this
 * process (`getActor` answers at once from what has).
 */
export async function getActorAsync<T>(
  name: string,
  options: { namespace?: string; timeoutMs?: number } = {},
): Promise<ActorHandle<T>> {
  const cluster = mustBeConnected('getActorAsync()');
  const key = bucketKey(nameKey(name, options.namespace, `getActorAsync(${String(name)})`));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const entry =
    cluster.names.get(key) ??
    (await new Promise<ReturnType<typeof cluster.names.get>>((resolve) => {
      const timer = setTimeout(() => {
        stop();
        resolve(undefined);
      }, timeoutMs);
      const stop = cluster.names.onChange((changed, value) => {
        if (changed !== key || value === undefined) return;
        clearTimeout(timer);
        stop();
        resolve(value);
      });
    }));
  if (entry === undefined) {
    const { ActorNotFoundError } = await import('@troupe/runtime');
    throw new ActorNotFoundError(
      `getActorAsync('${name}'): no actor of the cluster took that name in namespace ` +
        `'${options.namespace ?? 'default'}' within ${timeoutMs} ms.`,
    );
  }
  const ref = cluster.peer.connection(infoFrom(entry.info), { subject: entry.subject });
  return handleFor(ref) as ActorHandle<T>;
}

function mustBeConnected(what: string): Cluster {
  if (current === undefined) {
    throw new ClusterUnavailableError(
      `${what}: this process has not joined a cluster: connect() first.`,
    );
  }
  return current;
}

/** Where a spawn goes: a node picked by its placement, or here (`'local'`). */
function place(cluster: Cluster, request: PlacementRequest): RemoteActor | undefined {
  const placement = request.options.placement ?? 'any';
  if (placement === 'local') {
    if (request.options.lifetime === 'detached') {
      throw new ActorDefinitionError(
        `spawn(${request.className}, { lifetime: 'detached', placement: 'local' }): a local ` +
          'actor ends with this process, so it cannot outlive it. Place it on a node ' +
          "(placement: 'any', { node } or { labels }), or leave lifetime out.",
      );
    }
    return undefined;
  }
  const key = classKey(request.exportName, moduleHash(request.moduleUrl));
  const actor = new RemoteActor(
    cluster,
    request,
    `${cluster.peer.id}-${++sequence}`,
    (moving) => pickNode(cluster, request, key, moving),
    key,
  );
  placed.add(actor);
  void actor.exited.then(() => {
    placed.delete(actor);
    // Its threads are free, though its node's record says so only at its next heartbeat.
    ended.set(actor.info.actorId, actor.node);
  });
  return actor;
}

/** Actors this process placed that have ended (id → node), until their node's record drops them. */
const ended = new Map<string, string>();

/** Threads of `node`'s actors that this process knows have ended. */
function freed(node: NodeRecord): number {
  let threads = 0;
  for (const actor of node.actors) if (ended.has(actor.id)) threads += actor.threads || 1;
  return threads;
}

/** Threads a spawn from this process asked of each node and the node has not yet reported. */
const promised = new Map<string, number>();

function pickNode(
  cluster: Cluster,
  request: PlacementRequest,
  key: string,
  moving = false,
): string {
  const asked = request.options.placement ?? 'any';
  // An actor placed on one node moves to any other when that node dies.
  const placement = moving && typeof asked === 'object' && 'node' in asked ? 'any' : asked;
  const live = cluster.liveNodes();
  const where = `spawn(${request.className}, { placement: ${JSON.stringify(placement)} })`;
  if (live.length === 0) {
    throw new ClusterUnavailableError(
      `${where}: no node of cluster '${cluster.peer.cluster}' is alive. Start troupe-node ` +
        "(troupe-node --nats <url> --manifest dist/troupe-manifest.json), or spawn with placement: 'local'.",
    );
  }
  const reasons: string[] = [];
  const fits = live.filter((node) => {
    if (typeof placement === 'object' && 'node' in placement && node.id !== placement.node) {
      return false;
    }
    if (typeof placement === 'object' && 'labels' in placement) {
      for (const [k, v] of Object.entries(placement.labels)) {
        if (node.labels[k] !== v) return false;
      }
    }
    if (!node.classes.includes(key)) {
      reasons.push(`${node.id} does not list ${key}`);
      return false;
    }
    const free = node.threads - node.busy + freed(node) - (promised.get(node.id) ?? 0);
    if (free < request.threads) {
      reasons.push(`${node.id} has ${free} threads free of ${node.threads}`);
      return false;
    }
    return true;
  });
  if (fits.length === 0) {
    throw new ActorDefinitionError(
      `${where}: no live node can host it (${reasons.join('; ') || 'none matches the placement'}). ` +
        'Start troupe-node with a manifest of the same build (the class is matched by the hash ' +
        'of its compiled module), with enough --threads, or change the placement.',
    );
  }
  const chosen = twoChoices(fits);
  // The node counts it in its next record; until then this process does.
  promised.set(chosen.id, (promised.get(chosen.id) ?? 0) + request.threads);
  return chosen.id;
}

/** Power of two choices: the less loaded of two nodes picked at random. */
function twoChoices(nodes: NodeRecord[]): NodeRecord {
  const load = (node: NodeRecord) =>
    (node.busy - freed(node) + (promised.get(node.id) ?? 0)) / Math.max(1, node.threads);
  const a = nodes[Math.floor(Math.random() * nodes.length)] as NodeRecord;
  const b = nodes[Math.floor(Math.random() * nodes.length)] as NodeRecord;
  return load(b) < load(a) ? b : a;
}
