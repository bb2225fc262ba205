import { performance } from 'node:perf_hooks';
import { type Bucket, type KV, Kvm } from '@nats-io/kv';
import { type ObjectStore, Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { ClusterUnavailableError } from './errors.js';

/** What a node publishes about itself in the nodes bucket, every heartbeat. */
export interface NodeRecord {
  id: string;
  labels: Record<string, string>;
  /** Worker threads it offers; `busy` of them are taken by its actors. */
  threads: number;
  busy: number;
  /** `exportName@hash` of every class its manifest lists. */
  classes: string[];
  actors: RemoteActorStats[];
  pid: number;
  host: string;
  /**
   * Written by another process, not the node: the process that declared the node dead, by a
   * compare-and-set on the record the node last wrote. The node can renew nothing from that
   * record on: it learns it was declared dead, ends what it held, and writes its record anew.
   */
  suspected?: string;
}

/**
 * Whether `error` is JetStream's refusal of a compare-and-set (the entry was written since):
 * "wrong last sequence", code 10071, or 10164 where the server could not tell the last one.
 */
export function isStale(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 10071 || code === 10164;
}

/** One actor as its node reports it (the counts of `listActors()`). */
export interface RemoteActorStats {
  id: string;
  name: string;
  queued: number;
  running: number;
  done: number;
  failed: number;
  restarts: number;
  threads: number;
}

/** An actor's entry in the directory. */
export interface ActorEntry {
  node: string;
  incarnation: number;
  owner: string;
  subject: string;
  className: string;
  name: string;
  /**
   * `'lost'`: its owner gave it up (its node stopped heartbeating); the node must end it.
   * `'starting'`: this incarnation is being started on `node`, not yet served. Absent: served.
   */
  state?: 'lost' | 'starting';
  /** It moves to another node when its node dies (restarts were left when it started). */
  restartable?: true;
  /** A detached actor (`lifetime: 'detached'`): what any node needs to restart it. */
  detached?: DetachedSpec;
}

/** How a detached actor is started again, by whichever live node wins its entry. */
export interface DetachedSpec {
  /** Its spawn request, as its first node received it (base64 of the control frame). */
  spawn: string;
  /** Moves to another node still allowed (-1: no limit). */
  restartsLeft: number;
}

/** A name's entry: the actor it names, and how to reach it. */
export interface NameEntry {
  actorId: string;
  subject: string;
  info: unknown;
}

/**
 * JetStream did not take the request, and it can be sent again: nats.js names "no responders"
 * on a JetStream subject `JetStreamNotEnabled` ("jetstream is not enabled"). A NATS cluster just
 * started or healed answers so while a stream has no leader, or before the leader's interest in
 * its subjects has crossed the routes to this client's server (nats-server 2.9), and answers "JetStream
 * system temporarily unavailable" while it has no meta leader. Neither request was carried out.
 */
export function notTaken(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  return (
    name === 'JetStreamNotEnabled' ||
    /no responders|temporarily unavailable|no suitable peers/i.test(String(message))
  );
}

/** `notTaken`, or no answer in time: retried only where doing it twice is harmless. */
export function unanswered(error: unknown): boolean {
  return notTaken(error) || (error as { name?: unknown } | undefined)?.name === 'TimeoutError';
}

/**
 * Runs `request` until it succeeds, fails for good (`retry(error)` false) or `budgetMs` would be
 * spent, backing off from 50 ms to 1 s: a registry that settles after a start or a heal is waited
 * for, and one without a quorum is reported in bounded time (the last error is thrown).
 */
export async function persist<T>(
  request: () => Promise<T>,
  budgetMs: number,
  retry: (error: unknown) => boolean = notTaken,
): Promise<T> {
  const deadline = performance.now() + budgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      const wait = Math.min(1000, 50 * 2 ** attempt);
      if (!retry(error) || performance.now() + wait >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/**
 * How long opening the buckets waits for a NATS cluster that is still settling (its JetStream
 * leaders elected, their interest carried by the routes) before it reports it unavailable.
 */
export const OPEN_BUDGET_MS = 30_000;

/** How long a directory write waits for JetStream to take it before it is reported unavailable. */
export const WRITE_BUDGET_MS = 5_000;

/** The JetStream KV buckets of one cluster. */
export class Buckets {
  private constructor(
    readonly nodes: KV,
    readonly actors: KV,
    readonly names: KV,
  ) {}

  /**
   * The object store that carries messages larger than one NATS message, or undefined where
   * there is none (such messages are then refused by name). Objects nobody took expire in an hour.
   */
  static async blobs(
    nc: NatsConnection,
    cluster: string,
    replicas = 1,
  ): Promise<ObjectStore | undefined> {
    const objm = new Objm(nc);
    const name = `troupe_${cluster}_blobs`;
    try {
      return await persist(
        () => objm.create(name, { ttl: 3600 * 1e9, replicas }),
        OPEN_BUDGET_MS,
        unanswered,
      );
    } catch {
      try {
        const store = await objm.open(name);
        await store.status();
        return store;
      } catch {
        return undefined;
      }
    }
  }

  /**
   * Opens (or makes) the cluster's buckets, each kept on `replicas` NATS servers (1, 3 or 5): with
   * three, the registry stays writable while any two servers of three are up.
   */
  static async open(nc: NatsConnection, cluster: string, replicas = 1): Promise<Buckets> {
    const kvm = new Kvm(nc);
    // Made by whoever comes first, where the user may; a driver whose permissions only let it use
    // the buckets (see nats-server.example.conf) opens what a node made.
    const bucket = async (kind: string): Promise<KV> => {
      const name = `troupe_${cluster}_${kind}`;
      // Making a bucket that exists with the same settings is opening it: safe to send again.
      try {
        return await persist(
          () => kvm.create(name, { history: 1, replicas }),
          OPEN_BUDGET_MS,
          unanswered,
        );
      } catch (error) {
        if (!/permission/i.test(String(error))) throw error;
        return await persist(
          async () => {
            const kv = await kvm.open(name);
            await kv.status();
            return kv;
          },
          OPEN_BUDGET_MS,
          unanswered,
        );
      }
    };
    try {
      const [nodes, actors, names] = await Promise.all(['nodes', 'actors', 'names'].map(bucket));
      return new Buckets(nodes as KV, actors as KV, names as KV);
    } catch (error) {
      throw new ClusterUnavailableError(
        `cluster '${cluster}': its JetStream key-value buckets cannot be opened (${error}). ` +
          'Start nats-server with JetStream enabled (nats-server -js, or jetstream {} in its ' +
          'configuration), and give this user the $JS.API and $KV subjects.',
      );
    }
  }
}

/** Bucket keys are subject tokens: a name key (`namespace/name`, any text) is base64url. */
export function bucketKey(text: string): string {
  return Buffer.from(text).toString('base64url') || '_';
}

/**
 * A bucket kept in memory by a watch, so that nothing on the call path looks anything up. Each
 * entry keeps its revision (for compare-and-set) and when this process last saw it written.
 */
export class Mirror<T> {
  readonly entries = new Map<string, { value: T; revision: number; seenAt: number }>();
  private readonly listeners = new Set<(key: string, value: T | undefined) => void>();
  private stopped = false;
  private stop: (() => void) | undefined;
  private syncing: Promise<void> | undefined;
  /** Counts the changes seen: a reader can tell whether anything changed since it last looked. */
  version = 0;
  /** When the watch last delivered an entry (performance.now()). */
  lastDelivery = performance.now();
  /** The highest revision (stream sequence) the watch delivered, sentinels and deletes too. */
  private lastRevision = 0;
  /** The bucket's last revision at the previous `check`, where the watch had not delivered it. */
  private behind: number | undefined;
  /**
   * Revisions the watch passed over once it had caught up, to be looked up at the next `check`:
   * an entry written over meanwhile is gone from the bucket (history 1), rightly not delivered;
   * one still there was skipped (nats-server 2.9 skipped a delete written as a watch caught up
   * after an outage, and the mirror kept a freed name).
   */
  private skipped: number[] = [];
  private checking = false;

  private constructor(
    private readonly kv: KV,
    private readonly sentinel: string,
  ) {}

  /** Starts the watch; resolves once every entry written before it is mirrored. */
  static async start<T>(kv: KV, sentinel: string): Promise<Mirror<T>> {
    const mirror = new Mirror<T>(kv, sentinel);
    // A fresh stream may still be electing its leader: a watch that does not catch up in time is
    // made again, with more time, before the process is told the registry cannot be read.
    for (let attempt = 0; ; attempt++) {
      try {
        await mirror.sync(Mirror.SYNC_TIMEOUT_MS * 2 ** attempt);
        return mirror;
      } catch (error) {
        if (attempt >= 2) throw error;
      }
    }
  }

  /**
   * Watches the bucket anew and resolves once every entry written before is mirrored; entries
   * gone meanwhile are dropped. After a NATS outage the old watch may be gone with the server;
   * JetStream may not be ready again at once, so a failed attempt is tried again (backing off)
   * until one succeeds or the mirror is closed: a mirror left without a watch would go stale,
   * and every node in it would look dead.
   */
  resync(): Promise<void> {
    this.syncing ??= (async () => {
      for (let attempt = 0; !this.stopped; attempt++) {
        try {
          // A watch of a stream whose leader is still being elected may take long to catch up;
          // one that delivers nothing for STALL_MS is made anew sooner (the mirror stands still
          // meanwhile: a name freed would stay).
          await this.sync(Mirror.SYNC_TIMEOUT_MS * 2 ** Math.min(attempt, 3), Mirror.STALL_MS);
          return;
        } catch {
          // Holding no process open: a watch that ended with its connection closed for good
          // must not keep the process alive, retrying.
          await new Promise((resolve) =>
            setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt)).unref(),
          );
        }
      }
    })().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  /** How long one attempt to mirror a bucket may take before it is given up and tried again. */
  static SYNC_TIMEOUT_MS = 10_000;
  /**
   * How long a watch made anew may deliver nothing, once its sentinel was written (the stream has
   * a leader then), before the attempt is given up and tried again.
   */
  static STALL_MS = 5_000;

  /**
   * Watches anew if the watch has fallen behind the bucket: a revision the bucket held at the
   * previous check (read from its stream, which takes no write) and the watch has still not
   * delivered. A watch can go quiet without ending: nats.js remakes a watch's consumer when its
   * heartbeats stop, and a consumer remade while JetStream recovered from an outage may deliver
   * nothing more; the remade one is heartbeat-checked only every 30 s. A mirror that stands still
   * keeps what was deleted (a freed name is found, and every spawn of it refused); one that passed
   * an entry over is found by the revisions it skipped. Called every so often (half `suspectMs`):
   * a live watch delivers within that. A bucket that cannot be read now is checked next time.
   */
  async check(): Promise<void> {
    if (this.checking || this.stopped || this.syncing !== undefined) return;
    if (this.behind !== undefined && this.lastRevision < this.behind) {
      this.behind = undefined;
      void this.resync().catch(() => {});
      return;
    }
    this.checking = true;
    const generation = this.generation;
    try {
      if (await this.skippedAny()) {
        if (generation === this.generation) void this.resync().catch(() => {});
        return;
      }
      const last = (await this.kv.status()).streamInfo.state.last_seq;
      this.behind = last > this.lastRevision ? last : undefined;
    } catch {
      this.behind = undefined;
    } finally {
      this.checking = false;
    }
  }

  /** Whether a revision the watch passed over is still in the bucket (a mirrored key's). */
  private async skippedAny(): Promise<boolean> {
    if (this.skipped.length > Mirror.MAX_SKIPPED) return true;
    const { jsm, stream } = this.kv as Bucket;
    const list = this.skipped;
    // Until a new watch replaces the list (it starts from a full replay).
    while (list.length > 0 && list === this.skipped) {
      // Null where it is not there (written over, or deleted): rightly passed over.
      const message = await jsm.streams.getMessage(stream, { seq: list[0] as number });
      list.shift();
      const key = message?.subject.split('.').slice(2).join('.');
      if (key !== undefined && !key.startsWith('sync.')) return true;
    }
    return false;
  }

  /** Revisions passed over that `check` looks up; more, and the mirror watches anew. */
  static readonly MAX_SKIPPED = 64;

  /**
   * This process deleted `key` at `revision` (its compare-and-set was taken): the entry is gone
   * from the bucket, whether or not the watch delivers the delete.
   */
  forget(key: string, revision: number): void {
    if (this.entries.get(key)?.revision === revision) this.set(key, undefined);
  }

  /** Counts the watches made: only the newest one's entries are mirrored. */
  private generation = 0;

  private async sync(timeoutMs: number, stallMs = timeoutMs): Promise<void> {
    this.stop?.();
    const generation = ++this.generation;
    this.lastRevision = 0;
    this.behind = undefined;
    this.skipped = [];
    const watch = await persist(() => this.kv.watch(), timeoutMs, unanswered);
    this.stop = () => watch.stop();
    let synced: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      synced = resolve;
    });
    const sentinelKey = `sync.${this.sentinel}`;
    /** Keys seen before the sentinel: after it, the others are gone. */
    let fresh: Set<string> | undefined = new Set();
    /** It caught up: from then on, its end (an error, or its consumer closed) makes a new one. */
    let live = false;
    let ended = false;
    /** When this watch last delivered an entry (or its sentinel was written). */
    let progress = performance.now();
    const renew = () => {
      if (!live || !ended) return;
      // After the sync under way, if any (this one, or one that made a newer watch).
      void Promise.resolve(this.syncing)
        .then(() => (generation === this.generation && !this.stopped ? this.resync() : undefined))
        .catch(() => {});
    };
    void (async () => {
      for await (const entry of watch) {
        // A watch given up may still yield what it had received: an entry deleted since, that
        // would stay in the mirror (a freed name still found) for good.
        if (generation !== this.generation) break;
        progress = performance.now();
        if (fresh === undefined && entry.revision > this.lastRevision + 1) {
          // Caught up already: every revision since is delivered, unless written over.
          const skipped = this.skipped;
          for (let seq = this.lastRevision + 1; seq < entry.revision; seq++) {
            if (skipped.length > Mirror.MAX_SKIPPED) break;
            skipped.push(seq);
          }
        }
        if (entry.revision > this.lastRevision) this.lastRevision = entry.revision;
        if (entry.key === sentinelKey) {
          if (entry.operation === 'PUT' && fresh !== undefined) {
            for (const key of [...this.entries.keys()])
              if (!fresh.has(key)) this.set(key, undefined);
            fresh = undefined;
            synced();
          }
          continue;
        }
        if (entry.key.startsWith('sync.')) continue;
        fresh?.add(entry.key);
        if (entry.operation === 'PUT') {
          let value: T;
          try {
            value = entry.json<T>();
          } catch {
            continue;
          }
          this.set(entry.key, value, entry.revision);
        } else {
          fresh?.delete(entry.key);
          this.set(entry.key, undefined);
        }
      }
    })()
      .catch(() => {})
      .finally(() => {
        ended = true;
        renew();
      });
    // A write after the watch began arrives after every entry before it.
    let timer: NodeJS.Timeout | undefined;
    try {
      // Until the stream has a leader whose interest reached this server, its subject has no
      // responder: sent again (a put of the same value twice is harmless).
      await persist(() => this.kv.put(sentinelKey, '1'), timeoutMs, unanswered);
      progress = performance.now();
      const deadline = progress + timeoutMs;
      await Promise.race([
        ready,
        new Promise((_, reject) => {
          timer = setInterval(
            () => {
              const now = performance.now();
              if (now >= deadline || now - progress >= stallMs) {
                reject(new Error('the watch did not catch up in time'));
              }
            },
            Math.min(500, stallMs),
          );
        }),
      ]);
    } catch (error) {
      this.stop?.();
      throw error;
    } finally {
      clearInterval(timer);
    }
    live = true;
    renew();
    await this.kv.purge(sentinelKey).catch(() => {});
  }

  private set(key: string, value: T | undefined, revision = 0): void {
    this.version++;
    this.lastDelivery = performance.now();
    if (value === undefined) {
      this.entries.delete(key);
    } else {
      // A revision delivered again (a new watch replays the bucket) was not written again: it
      // keeps the time it was first seen, or a node that stopped would look alive anew.
      const known = this.entries.get(key);
      const seenAt =
        known !== undefined && known.revision === revision ? known.seenAt : performance.now();
      this.entries.set(key, { value, revision, seenAt });
    }
    for (const listener of this.listeners) listener(key, value);
  }

  get(key: string): T | undefined {
    return this.entries.get(key)?.value;
  }

  onChange(listener: (key: string, value: T | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stop?.();
  }
}
