import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import {
  type Authenticator,
  credsAuthenticator,
  type NatsConnection,
  connect as natsConnect,
  nkeyAuthenticator,
  nuid,
  usernamePasswordAuthenticator,
} from '@nats-io/transport-node';
import {
  type ActorInfo,
  type ActorRef,
  type NameDirectory,
  useNameDirectory,
} from '@troupe/runtime/transport';
import { CONTROL_TIMEOUT_MS } from './control.js';
import {
  type ActorEntry,
  Buckets,
  bucketKey,
  isStale,
  Mirror,
  type NameEntry,
  type NodeRecord,
  persist,
  unanswered,
  WRITE_BUDGET_MS,
} from './directory.js';
import { Peer } from './peer.js';

/** How a process joins a cluster. */
export interface ConnectOptions {
  /** NATS server URLs (`nats://127.0.0.1:4222`). */
  servers: string | string[];
  /** This process's name in NATS and in `listNodes()`. @default the host name and pid */
  name?: string;
  /** Clusters sharing NATS servers are told apart by this (letters, digits, `_`, `-`). @default 'default' */
  cluster?: string;
  /**
   * A credentials file (never credentials in code): a NATS `.creds` file (JWT and nkey seed), an
   * nkey seed file, or a file holding `user:password` on one line.
   */
  creds?: string;
  /** TLS to the NATS servers: file paths of the CA, and of this client's certificate and key. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /**
   * A subject token that starts this process's inboxes (`troupe.<c>.r.<prefix>.…` and NATS's
   * `_INBOX_<prefix>.…`), so that a server's permissions can give each user its own: see the
   * README's example server configuration. @default none
   */
  inboxPrefix?: string;
  /** The largest message a call may send (bytes). @default 64 MB */
  maxMessageBytes?: number;
  /** How often nodes write their record (ms). @default 2000 */
  heartbeatMs?: number;
  /**
   * How long a node serves after its last successful heartbeat began (ms); shorter than
   * `suspectMs`, so that a node others take for dead has stopped serving. @default 10000
   */
  leaseMs?: number;
  /** A node not heard from for this long is not placed on (ms). @default 15000 */
  suspectMs?: number;
  /**
   * How many NATS servers keep each of the cluster's JetStream buckets (names, actors, nodes, and
   * the blob store): 1, 3 or 5, at most the servers there are. With 3 (production: three NATS
   * servers) the registry stays writable while any two are up. Used by whichever process makes
   * the buckets first. @default 1
   */
  replicas?: number;
}

const CLUSTER_NAME = /^[A-Za-z0-9_-]+$/;

/** Reads the authenticator from a credentials file. */
function authenticatorFrom(file: string): Authenticator {
  const text = readFileSync(file, 'utf8');
  if (text.includes('BEGIN NATS USER JWT'))
    return credsAuthenticator(new TextEncoder().encode(text));
  const line = text.trim().split(/\r?\n/)[0] ?? '';
  if (/^SU[A-Z2-7]+$/.test(line)) return nkeyAuthenticator(new TextEncoder().encode(line));
  const colon = line.indexOf(':');
  if (colon > 0) return usernamePasswordAuthenticator(line.slice(0, colon), line.slice(colon + 1));
  throw new TypeError(
    `creds file ${file}: expected a NATS .creds file, an nkey seed (SU…), or user:password on ` +
      'its first line.',
  );
}

/** One process's membership of a cluster: its NATS connection, peer, buckets and mirrors. */
export class Cluster {
  readonly heartbeatMs: number;
  readonly suspectMs: number;
  readonly leaseMs: number;
  /** Names registered by spawns this process placed (their ref is claimed already). */
  readonly claimed = new WeakSet<ActorRef>();
  /** Names this process registered for actors it placed, by key, while they live. */
  private readonly ownNames = new Map<string, ActorRef>();
  /** Name keys a node was asked to register for an actor a driver already named. */
  readonly preclaimed = new Set<string>();
  private closed = false;

  private constructor(
    readonly nc: NatsConnection,
    readonly peer: Peer,
    readonly buckets: Buckets,
    readonly names: Mirror<NameEntry>,
    readonly nodes: Mirror<NodeRecord>,
    readonly actors: Mirror<ActorEntry>,
    readonly name: string,
    options: ConnectOptions,
  ) {
    ({
      heartbeatMs: this.heartbeatMs,
      leaseMs: this.leaseMs,
      suspectMs: this.suspectMs,
    } = timings(options));
  }

  static async open(options: ConnectOptions): Promise<Cluster> {
    timings(options);
    const replicas = options.replicas ?? 1;
    if (![1, 3, 5].includes(replicas)) {
      throw new TypeError(
        `connect(): replicas must be 1, 3 or 5 (JetStream keeps a quorum of an odd number of ` +
          `servers), not ${JSON.stringify(options.replicas)}.`,
      );
    }
    const cluster = options.cluster ?? 'default';
    if (!CLUSTER_NAME.test(cluster)) {
      throw new TypeError(
        `connect(): cluster must be letters, digits, '_' or '-', not ${JSON.stringify(cluster)}.`,
      );
    }
    const name = options.name ?? `${hostname()}-${process.pid}`;
    const tls = options.tls
      ? {
          ...(options.tls.caFile ? { caFile: options.tls.caFile } : {}),
          ...(options.tls.certFile ? { certFile: options.tls.certFile } : {}),
          ...(options.tls.keyFile ? { keyFile: options.tls.keyFile } : {}),
        }
      : undefined;
    const prefix = options.inboxPrefix;
    if (prefix !== undefined && !CLUSTER_NAME.test(prefix)) {
      throw new TypeError(
        `connect(): inboxPrefix must be letters, digits, '_' or '-', not ${JSON.stringify(prefix)}.`,
      );
    }
    const nc = await natsConnect({
      servers: options.servers,
      name,
      ...(prefix !== undefined ? { inboxPrefix: `_INBOX_${prefix}` } : {}),
      // A NATS outage is waited out (the calls in flight then reject as having maybe run).
      maxReconnectAttempts: -1,
      // Back within a heartbeat or so: a node must renew its lease before others suspect it.
      reconnectTimeWait: Math.min(2000, timings(options).heartbeatMs),
      reconnectJitter: Math.min(100, timings(options).heartbeatMs),
      ...(options.creds ? { authenticator: authenticatorFrom(options.creds) } : {}),
      ...(tls ? { tls } : {}),
    });
    const id = prefix !== undefined ? `${prefix}.${nuid.next()}` : nuid.next();
    const peer = new Peer(nc, cluster, id);
    if (options.maxMessageBytes !== undefined) peer.maxMessageBytes = options.maxMessageBytes;
    peer.start(options.heartbeatMs ?? 2000);
    try {
      const buckets = await Buckets.open(nc, cluster, options.replicas);
      peer.blobs = await Buckets.blobs(nc, cluster, options.replicas);
      const [names, nodes, actors] = await Promise.all([
        Mirror.start<NameEntry>(buckets.names, id),
        Mirror.start<NodeRecord>(buckets.nodes, id),
        Mirror.start<ActorEntry>(buckets.actors, id),
      ]);
      const joined = new Cluster(nc, peer, buckets, names, nodes, actors, name, options);
      peer.hostOf = (subject) => joined.hostOf(subject);
      peer.fenced = (subject) => joined.fenced(subject);
      peer.gate = (subject) => joined.gateOf(subject);
      peer.movedFrom = (subject) => joined.movedFrom(subject);
      peer.follows = (subject) => joined.follows(subject);
      peer.directoryVersion = () => actors.version;
      peer.nextAddress = (subject) => joined.nextAddress(subject);
      joined.watchConnection();
      joined.watchMirrors();
      return joined;
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /** Nodes heard from within `suspectMs`, by this process's clock. */
  liveNodes(): NodeRecord[] {
    const now = performance.now();
    const live: NodeRecord[] = [];
    for (const [key, { value, seenAt, revision }] of this.nodes.entries) {
      if (
        now - seenAt < this.suspectMs &&
        value.suspected === undefined &&
        this.gone.get(key) !== revision &&
        this.refused.get(key) !== revision
      ) {
        live.push(value);
      }
    }
    return live;
  }

  /** This process is cut off from NATS (or catching up after): it judges no node meanwhile. */
  private disconnected = false;
  private reconnects = 0;

  private watchConnection(): void {
    void (async () => {
      for await (const status of this.nc.status()) {
        if (status.type === 'disconnect') this.disconnected = true;
        else if (status.type === 'reconnect') {
          this.awaitNodes();
          this.peer.resetPending('the connection to NATS was lost, then restored');
          // The watches may have gone with the server: the mirrors catch up. Until they have,
          // no node is judged; then, as nodes were not heard meanwhile, suspicion starts anew.
          const reconnects = ++this.reconnects;
          void Promise.all([this.names, this.nodes, this.actors].map((m) => m.resync())).then(
            () => {
              if (reconnects !== this.reconnects) return;
              const now = performance.now();
              for (const entry of this.nodes.entries.values()) entry.seenAt = now;
              this.disconnected = false;
            },
          );
        }
      }
    })().catch(() => {});
    void this.nc.closed().then(() => {
      if (!this.closed) this.peer.lost('the connection to NATS closed');
    });
  }

  private watchdog: NodeJS.Timeout | undefined;

  /**
   * Nodes write their record every heartbeat: a nodes mirror that has heard nothing for half the
   * suspicion while it knows of nodes has lost its watch (a watch made while a restarted NATS
   * server was still recovering its streams can go quiet without ending), and every node would
   * soon look dead. The mirrors then watch anew. Names and actors are written seldom, so their
   * silence tells nothing: each mirror is checked against its bucket every half suspicion
   * (`Mirror.check`), and watches anew if it fell behind or passed an entry over.
   */
  private watchMirrors(): void {
    let checked = performance.now();
    this.watchdog = setInterval(
      () => {
        if (this.disconnected) return;
        const now = performance.now();
        if (now - checked >= this.suspectMs / 2) {
          checked = now;
          for (const mirror of [this.names, this.nodes, this.actors]) void mirror.check();
        }
        if (this.nodes.entries.size === 0) return;
        if (now - this.nodes.lastDelivery < this.suspectMs / 2) return;
        this.nodes.lastDelivery = now;
        for (const mirror of [this.names, this.nodes, this.actors]) {
          void mirror.resync().catch(() => {});
        }
      },
      Math.max(10, Math.floor(this.suspectMs / 8)),
    );
    this.watchdog.unref();
  }

  /** After a NATS outage, the nodes not heard from since, each with its wait. */
  private unheard = new Map<string, Promise<void>>();

  /**
   * Messages to a node's actors wait until it is heard again after an outage (or is taken for
   * dead, `suspectMs` later): before, it may not have subscribed anew, and they would be lost.
   */
  private awaitNodes(): void {
    const unheard = new Map<string, Promise<void>>();
    for (const [nodeKey, { value, revision }] of this.nodes.entries) {
      const id = value.id;
      const wait: Promise<void> = new Promise<void>((resolve) => {
        const done = () => {
          stop();
          clearTimeout(timer);
          if (this.unheard.get(id) === wait) this.unheard.delete(id);
          resolve();
        };
        // A record written since (a higher revision), not the old one the mirror's catching up
        // replays: written after the node reconnected, so after it subscribed again.
        const stop = this.nodes.onChange((key) => {
          const now = key === nodeKey ? this.nodes.entries.get(key) : undefined;
          if (now !== undefined && now.revision > revision && now.value.suspected === undefined) {
            done();
          }
        });
        const timer = setTimeout(done, this.suspectMs);
        timer.unref();
      });
      unheard.set(id, wait);
    }
    this.unheard = unheard;
  }

  gateOf(subject: string): Promise<void> | undefined {
    const served = this.servedGate(subject);
    if (served !== undefined || this.unheard.size === 0) return served;
    const host = this.hostOf(subject);
    return host === undefined ? undefined : this.unheard.get(host.node);
  }

  /** Waits, per actor id, for an actor to be served: see `servedGate`. */
  private readonly starting = new Map<string, Promise<void>>();

  /**
   * Messages to an actor not served yet (its name reached this process before its node had
   * started it: no directory entry, or one `'starting'`) wait until it is, or until it cannot
   * be (`CONTROL_TIMEOUT_MS`): sent before, they would reach no one and be lost.
   */
  private servedGate(subject: string): Promise<void> | undefined {
    const actorId = this.actorIdOf(subject);
    if (actorId === undefined) return undefined;
    const key = bucketKey(actorId);
    const entry = this.actors.get(key);
    if (entry !== undefined && entry.state !== 'starting') return undefined;
    let wait = this.starting.get(key);
    if (wait === undefined) {
      wait = new Promise<void>((resolve) => {
        const done = () => {
          stop();
          clearTimeout(timer);
          this.starting.delete(key);
          resolve();
        };
        const stop = this.actors.onChange((changed, value) => {
          if (changed === key && value !== undefined && value.state !== 'starting') done();
        });
        const timer = setTimeout(done, CONTROL_TIMEOUT_MS);
        timer.unref();
      });
      this.starting.set(key, wait);
    }
    return wait;
  }

  /** Where a named actor is served now: its directory entry's subject, once it is up there. */
  subjectOf(entry: NameEntry): string {
    const now = this.actors.get(bucketKey(entry.actorId));
    return now !== undefined && now.state === undefined ? now.subject : entry.subject;
  }

  /**
   * The subject an actor moved to, for a link to `subject` (an earlier incarnation), once the
   * new one serves; undefined if it has not moved.
   */
  movedFrom(subject: string): string | undefined {
    const actorId = this.actorIdOf(subject);
    if (actorId === undefined) return undefined;
    const entry = this.actors.get(bucketKey(actorId));
    if (entry === undefined || entry.state !== undefined || entry.subject === subject)
      return undefined;
    return entry.subject;
  }

  /** Whether the actor at `subject` is moved when its node dies (see `ActorEntry`). */
  follows(subject: string): boolean {
    const actorId = this.actorIdOf(subject);
    const entry = actorId === undefined ? undefined : this.actors.get(bucketKey(actorId));
    return entry !== undefined && (entry.restartable === true || entry.detached !== undefined);
  }

  /**
   * The subject the actor at `subject` is served at next, once its entry shows it served
   * elsewhere; undefined once it is gone from the directory, or if no move is seen within the
   * time a move takes (the node's suspicion, then a start). An entry given up (`'lost'`) may
   * still move: its owner marks it so before it moves it.
   */
  nextAddress(subject: string): Promise<string | undefined> {
    const actorId = this.actorIdOf(subject);
    if (actorId === undefined) return Promise.resolve(undefined);
    const key = bucketKey(actorId);
    const verdict = (value: ActorEntry | undefined): { next: string | undefined } | undefined => {
      if (value === undefined) return { next: undefined };
      if (value.state === undefined && value.subject !== subject) return { next: value.subject };
      return undefined;
    };
    const now = verdict(this.actors.get(key));
    if (now !== undefined) return Promise.resolve(now.next);
    return new Promise((resolve) => {
      const done = (next: string | undefined) => {
        stop();
        clearTimeout(timer);
        resolve(next);
      };
      const stop = this.actors.onChange((changed, value) => {
        if (changed !== key) return;
        const seen = verdict(value);
        if (seen !== undefined) done(seen.next);
      });
      const timer = setTimeout(() => done(undefined), this.suspectMs + CONTROL_TIMEOUT_MS);
      timer.unref();
    });
  }

  /** Whether node `id` has heartbeated within `suspectMs` (by this process's clock). */
  isLive(id: string): boolean {
    if (this.disconnected) return true;
    const key = bucketKey(id);
    const entry = this.nodes.entries.get(key);
    return (
      entry !== undefined &&
      performance.now() - entry.seenAt < this.suspectMs &&
      entry.value.suspected === undefined &&
      this.gone.get(key) !== entry.revision
    );
  }

  /** The actor an actor subject (`troupe.<c>.a.<actorId>.<incarnation>`) reaches. */
  private actorIdOf(subject: string): string | undefined {
    const prefix = `troupe.${this.peer.cluster}.a.`;
    if (!subject.startsWith(prefix)) return undefined;
    return subject.slice(prefix.length, subject.lastIndexOf('.'));
  }

  /** The node hosting the actor at `subject` (`troupe.<c>.a.<actorId>.<incarnation>`). */
  hostOf(subject: string): { node: string; alive: boolean } | undefined {
    const actorId = this.actorIdOf(subject);
    if (actorId === undefined) return undefined;
    const entry = this.actors.get(bucketKey(actorId));
    if (entry === undefined) return undefined;
    return { node: entry.node, alive: this.isLive(entry.node) };
  }

  /**
   * Resolves once the node hosting the actor at `subject` has certainly stopped serving it: true
   * then; false if a newer record of the node lists the actor (it is back, and serves it). True
   * at once where no record of the node lists it (it was restarted, or ended it), none is known,
   * or the node was declared dead already.
   *
   * The node's lease lapses `leaseMs` after this process saw its last record (the lease began
   * before that record was written). Then this process declares the node dead, by a
   * compare-and-set on that record: a renewal on its way (written, not yet seen here) makes it
   * fail, and the node is alive; once it succeeds, the node can renew nothing from that record,
   * so it serves nothing more until it has learnt so and ended what it held. Where the registry
   * cannot be written (no JetStream quorum) neither side can write: the answer waits for
   * `suspectMs`, past which a node that comes back ends everything it held before it serves.
   */
  async fenced(subject: string): Promise<boolean> {
    const actorId = this.actorIdOf(subject);
    const node = actorId === undefined ? undefined : this.actors.get(bucketKey(actorId))?.node;
    if (actorId === undefined || node === undefined) return true;
    const key = bucketKey(node);
    const serves = (record: NodeRecord) =>
      record.suspected === undefined && record.actors.some((actor) => actor.id === actorId);
    const record = this.nodes.entries.get(key);
    if (record === undefined || !serves(record.value)) return true;
    await sleep(record.seenAt + this.leaseMs - performance.now());
    const now = this.nodes.entries.get(key);
    if (now === undefined || !serves(now.value)) return true;
    if (now.revision !== record.revision) return false;
    try {
      const declared: NodeRecord = { ...now.value, suspected: this.peer.id };
      await this.buckets.nodes.update(key, JSON.stringify(declared), now.revision);
      return true;
    } catch (error) {
      if (!isStale(error)) {
        // Not written (no quorum, or no permission to write node records): by `suspectMs` a
        // renewal would have been seen here, and a node that comes back later ends all it held.
        await sleep(record.seenAt + this.suspectMs - performance.now());
        const later = this.nodes.entries.get(key);
        return later === undefined || later.revision === now.revision || !serves(later.value);
      }
    }
    // Written since: by the node (it renewed), or by another process that declared it dead.
    try {
      const latest = await this.buckets.nodes.get(key);
      return latest?.operation !== 'PUT' || !serves(latest.json<NodeRecord>());
    } catch {
      return false;
    }
  }

  /**
   * The owner gives up actor `actorId` (its node stopped heartbeating): its directory entry says
   * so, by compare-and-set, and its node ends it if it ever serves again.
   */
  async markLost(actorId: string): Promise<void> {
    const key = bucketKey(actorId);
    const entry = this.actors.entries.get(key);
    if (entry === undefined || entry.value.state === 'lost') return;
    await this.buckets.actors
      .update(key, JSON.stringify({ ...entry.value, state: 'lost' }), entry.revision)
      .catch(() => {});
  }

  /** Nodes whose control subject had no listener, by key: revision of their last record. */
  private readonly gone = new Map<string, number>();
  /** Nodes that refused a spawn (past their lease, or no registry), by key, as `gone`. */
  private readonly refused = new Map<string, number>();

  /**
   * Node `id` refused a spawn (it answered: it is alive, but past its lease or unable to write
   * the registry): not placed on until it writes a new record. Its actors are not given up.
   */
  nodeRefused(id: string): void {
    const key = bucketKey(id);
    const entry = this.nodes.entries.get(key);
    if (entry !== undefined) this.refused.set(key, entry.revision);
  }

  /**
   * Node `id` is certainly gone (nothing listens on its control subject): not placed on until it
   * writes a new record.
   */
  nodeGone(id: string): void {
    const key = bucketKey(id);
    const entry = this.nodes.entries.get(key);
    if (entry !== undefined) this.gone.set(key, entry.revision);
  }

  /** Names are looked up in the cluster's mirror and registered in its bucket. */
  installNames(): void {
    const directory: NameDirectory = {
      lookup: (key) => {
        // A name a driver claimed for the actor this node is starting: not taken by another.
        if (this.preclaimed.has(key)) return undefined;
        // This process's own, before (or whether or not) its mirror has it.
        const own = this.ownNames.get(key);
        if (own !== undefined) return own;
        const entry = this.names.get(bucketKey(key));
        if (entry === undefined) return undefined;
        return this.peer.connection(infoFrom(entry.info), { subject: this.subjectOf(entry) });
      },
      register: (key, ref, exited) => {
        if (this.preclaimed.delete(key)) return true;
        if (this.claimed.has(ref)) {
          this.ownNames.set(key, ref);
          exited.then(() => {
            if (this.ownNames.get(key) === ref) this.ownNames.delete(key);
          });
          return true;
        }
        if (this.names.get(bucketKey(key)) !== undefined) return false;
        // An actor of this process, named while in a cluster: served from here, named there.
        const subject = this.peer.subject('a', `${this.peer.id}-${ref.info.actorId}`, '1');
        const service = this.peer.serve(ref, subject);
        // In the directory as served from here, so that callers need not wait for it.
        void this.putActor(`${this.peer.id}-${ref.info.actorId}`, {
          node: this.peer.id,
          incarnation: 1,
          owner: this.peer.id,
          subject,
          className: ref.info.name,
          name: ref.info.name,
        }).catch(() => {});
        const bucket = this.buckets.names;
        const entry = nameEntry(ref.info, subject);
        let revision: number | undefined;
        bucket.create(bucketKey(key), JSON.stringify(entry)).then(
          (r) => {
            revision = r;
          },
          () => {
            process.emitWarning(
              `actor ${ref.info.name}: another process took the name '${key}' at the same ` +
                'time; this actor ends (its calls reject with ActorDiedError).',
            );
            void ref.kill();
          },
        );
        exited.then(() => {
          service.close();
          void this.deleteActor(`${this.peer.id}-${ref.info.actorId}`);
          void this.freeName(bucketKey(key), entry.actorId, revision);
        });
        return true;
      },
    };
    useNameDirectory(directory);
  }

  /**
   * Deletes the name at `key` (a bucket key) while it names actor `actorId`: now, or once its
   * entry reaches the mirror (a claim that went unanswered may land later). A delete the registry
   * does not take (settling after a heal, no quorum) is sent again until it is taken or this
   * process disconnects: a name left behind would refuse every later spawn of it. `written`:
   * the entry's, where the caller wrote it (else the mirror's, where it names that actor); the
   * returned promise then resolves once that delete was taken (the name is free for a spawn that
   * follows) or handed to the retries.
   */
  async freeName(key: string, actorId: string, written?: number): Promise<void> {
    const deleteAt = async (seq: number) => {
      await persist(
        () => this.buckets.names.delete(key, { previousSeq: seq }),
        WRITE_BUDGET_MS,
        unanswered,
      );
      // Gone from the registry: gone from the mirror too, whether or not its watch says so.
      this.names.forget(key, seq);
    };
    const mirrored = this.names.entries.get(key);
    const revision =
      written ?? (mirrored?.value.actorId === actorId ? mirrored.revision : undefined);
    if (revision !== undefined) {
      try {
        await deleteAt(revision);
        return;
      } catch {
        // Not taken, or written since: the mirror tells what to do.
      }
    }
    let freeing = false;
    let seen = false;
    const free = async (): Promise<void> => {
      if (freeing) return;
      freeing = true;
      try {
        for (;;) {
          const entry = this.names.entries.get(key);
          if (this.closed || entry?.value.actorId !== actorId) {
            // Gone after it was seen: deleted (by this process, answered late, or another).
            if (this.closed || seen) stop();
            return;
          }
          seen = true;
          try {
            await deleteAt(entry.revision);
            stop();
            return;
          } catch (error) {
            // Written since (the mirror will tell by what), or not writable yet: tried again.
            await sleep(isStale(error) ? this.heartbeatMs : 1000);
          }
        }
      } finally {
        freeing = false;
      }
    };
    const stop = this.names.onChange((changed) => {
      if (changed === key) void free();
    });
    void free();
  }

  /**
   * Writes the directory entry of an actor placed here; while JetStream is settling (after a start
   * or a heal) it is sent again, for `WRITE_BUDGET_MS` at most.
   */
  async putActor(actorId: string, entry: ActorEntry): Promise<void> {
    await persist(
      () => this.buckets.actors.put(bucketKey(actorId), JSON.stringify(entry)),
      WRITE_BUDGET_MS,
      unanswered,
    );
  }

  /**
   * Deletes the directory entry of an actor that ended; sent again while the registry settles
   * (after a start or a heal), for `WRITE_BUDGET_MS` at most: an entry left behind would list a
   * dead actor, and restart it if it was detached.
   */
  async deleteActor(actorId: string): Promise<void> {
    await persist(
      () => this.buckets.actors.delete(bucketKey(actorId)),
      WRITE_BUDGET_MS,
      unanswered,
    ).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchdog);
    useNameDirectory(undefined);
    this.names.close();
    this.nodes.close();
    this.actors.close();
    await this.peer.close();
    await this.nc.drain().catch(() => {});
  }
}

/** The liveness settings, checked: heartbeatMs < leaseMs < suspectMs. */
function timings(options: ConnectOptions): {
  heartbeatMs: number;
  leaseMs: number;
  suspectMs: number;
} {
  const heartbeatMs = options.heartbeatMs ?? 2000;
  const suspectMs = options.suspectMs ?? 15000;
  const leaseMs = options.leaseMs ?? Math.min(10000, Math.floor((suspectMs * 2) / 3));
  if (!(heartbeatMs > 0 && heartbeatMs < leaseMs && leaseMs < suspectMs)) {
    throw new TypeError(
      `connect(): 0 < heartbeatMs (${heartbeatMs}) < leaseMs (${leaseMs}) < suspectMs ` +
        `(${suspectMs}) must hold: a node renews its lease before it lapses, and stops serving ` +
        'before others take it for dead.',
    );
  }
  return { heartbeatMs, leaseMs, suspectMs };
}

/** A name's entry: the actor's info travels as structured clone (it holds `undefined`s). */
export function nameEntry(info: ActorInfo, subject: string): NameEntry {
  return { actorId: info.actorId, subject, info: v8.serialize(info).toString('base64') };
}

export function infoFrom(encoded: unknown): ActorInfo {
  return v8.deserialize(Buffer.from(String(encoded), 'base64')) as ActorInfo;
}

/** Resolves after `ms` (at once if not positive), holding no process open. */
function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms).unref()) : Promise.resolve();
}
