import type { ActorRef } from '../caller/ref.js';
import { EndReason } from '../errors.js';
import { Op, StatSlot } from '../wire/protocol.js';
import { type ActorHost, endWithin, requestShutdown } from './host-worker.js';
import type { SpawnPlan } from './plan.js';
import type { ActorRecord, ActorSummary } from './record.js';
import { Replica } from './replica.js';

/**
 * What every actor this thread owns shares, whether one worker or a pool of threads: its
 * replicas, why it is ending, its restart budget, its end (`exited`), `kill`, `shutdown` and the
 * summary `listActors()` shows. Subclasses say what a replica's exit means and how calls reach
 * a replica.
 */
export abstract class ActorLifecycle implements ActorRecord {
  abstract readonly ref: ActorRef;
  readonly exited: Promise<void>;
  /** The replicas serving now, by index. */
  protected readonly replicas: Replica[] = [];
  /** Why the actor is ending, once it is. */
  protected ending: string | undefined;
  protected restarts = 0;
  private restartsLeft: number;
  /** Hosts started and not yet exited, replacements included. */
  private live = 0;
  /** A replica called `exitActor()`: the actor is ending within the grace. */
  private exiting = false;
  private markExited: () => void = () => {};
  /** The hosts a `kill(h, { noRestart: false })` ended, until each exit has taken its restart. */
  private sharedRestart: { readonly replicas: Set<Replica>; taken: boolean } | undefined;

  constructor(protected readonly plan: SpawnPlan) {
    this.restartsLeft = plan.maxRestarts;
    this.exited = new Promise((resolve) => {
      this.markExited = resolve;
    });
  }

  protected get name(): string {
    return this.plan.info.name;
  }

  /** A host exited; `replica` is the one it served. */
  protected abstract hostExited(replica: Replica, code: number): void;
  /** Calls waiting and running, as `listActors()` shows them. */
  protected abstract load(): { queued: number; running: number };
  /** `shutdown()` began: calls that have not reached a host are dropped. */
  protected abstract dropQueued(): void;
  /**
   * `terminate()` began (`ending` is set): calls already made run, later ones are refused, then
   * every host drains.
   */
  protected abstract finishQueued(): void;

  /** Starts the host of replica `index`, with the handling every replica shares. */
  protected startReplica(index: number, group: number, adoptsFields: boolean): Replica {
    const host = this.plan.startHost(index, adoptsFields);
    const replica = new Replica(index, group, host, this.plan.info);
    replica.conn.onExiting = (message) => this.exitRequested(replica, message[2]);
    replica.conn.onDrained = (message) => {
      void host.terminate();
      // An actor that called exitActor() (in any of its replicas) ends whole, gracefully.
      if (this.ending === undefined) {
        this.ending = message[1];
        void this.shutdown();
      }
    };
    this.live++;
    host.onExit((code) => {
      this.live--;
      // A host that chose to end (exitActor()) is never restarted, even if it ended before its
      // message arrived: the flag it set in shared memory says so.
      if (Atomics.load(host.stats, StatSlot.ExitRequested) !== 0) {
        this.ending ??= EndReason.ExitActor;
      }
      this.hostExited(replica, code);
      if (this.live === 0) this.markExited();
    });
    return replica;
  }

  /**
   * A replica called `exitActor()`: the whole actor ends now. Calls not yet started are refused;
   * every other thread ends as that one does; each runs its `onShutdown()` and exit handlers
   * within the grace, after which the threads still alive are ended.
   */
  private exitRequested(from: Replica, graceMs: number): void {
    if (this.exiting) return;
    this.exiting = true;
    this.ending ??= EndReason.ExitActor;
    this.dropQueued();
    for (const r of this.replicas) {
      // Whoever awaits the end, or a call pending on it, sees it come: keep the process alive.
      r.host.keepAlive();
      if (r !== from) r.conn.post([Op.Exit]);
    }
    const cut = setTimeout(() => {
      for (const r of this.replicas) void r.host.terminate();
    }, graceMs);
    cut.unref();
    void this.exited.then(() => clearTimeout(cut));
  }

  /**
   * Takes one restart from the budget for `replica`'s host, if the actor is not ending and has one
   * left. The hosts one `kill(h, { noRestart: false })` ended share one restart: the actor
   * crashed once, whatever its number of threads.
   */
  protected takeRestart(replica?: Replica): boolean {
    const shared = this.sharedRestart;
    if (shared !== undefined && replica !== undefined && shared.replicas.delete(replica)) {
      if (shared.replicas.size === 0) this.sharedRestart = undefined;
      if (shared.taken) return this.ending === undefined;
      shared.taken = this.takeRestart();
      return shared.taken;
    }
    if (this.ending !== undefined || this.restartsLeft <= 0) return false;
    this.restartsLeft--;
    this.restarts++;
    return true;
  }

  /** The restart just taken, for messages. */
  protected restartTaken(thread: boolean): { count: number; max: number; thread: boolean } {
    return { count: this.restarts, max: this.plan.maxRestarts, thread };
  }

  summary(): ActorSummary {
    let done = 0;
    let failed = 0;
    for (const r of this.replicas) {
      done += r.host.stats[StatSlot.Done] as number;
      failed += r.host.stats[StatSlot.Failed] as number;
    }
    return {
      id: this.plan.info.actorId,
      name: this.name,
      kind: this.plan.info.kind,
      threads: this.replicas.length,
      ...this.load(),
      done,
      failed,
      restarts: this.restarts,
    };
  }

  async kill(noRestart = true): Promise<void> {
    if (noRestart) this.ending ??= EndReason.Killed;
    else this.sharedRestart = { replicas: new Set(this.replicas), taken: false };
    const hosts: ActorHost[] = this.replicas.map((r) => r.host);
    // Whoever awaits the end keeps the process alive until it comes.
    for (const host of hosts) host.keepAlive();
    const terminated = Promise.all(hosts.map((host) => host.terminate()));
    // Without noRestart it ends as a crash: each host is replaced while restarts are left.
    await (noRestart ? this.exited : terminated);
  }

  /**
   * Ends the actor gracefully once the calls already made have run (Ray's `__ray_terminate__`):
   * later calls reject with `ActorDiedError`, then `onShutdown()` runs and the threads end. After
   * `timeoutMs` (no limit when undefined) the actor is ended whatever it is doing, and calls
   * still pending reject with `ActorDiedError`.
   */
  async terminate(timeoutMs?: number): Promise<void> {
    if (this.ending === undefined) {
      this.ending = EndReason.Terminated;
      for (const r of this.replicas) r.host.keepAlive();
      this.finishQueued();
    }
    await endWithin(this.exited, timeoutMs, () => {
      this.ending = `it was terminated, and its calls had not finished within ${timeoutMs} ms`;
      for (const r of this.replicas) void r.host.terminate();
    });
  }

  /** `notice`: after a second, print what the end still waits for (`shutdown()` asks it). */
  async shutdown(timeoutMs?: number, notice = false): Promise<void> {
    this.ending ??= EndReason.ShutDown;
    this.dropQueued();
    for (const r of this.replicas) {
      r.host.keepAlive();
      requestShutdown(r.host, (message) => r.conn.post(message), timeoutMs);
    }
    await endWithin(
      this.exited,
      timeoutMs,
      () => {
        this.ending = `it was shut down, and its calls had not finished within ${timeoutMs} ms`;
        for (const r of this.replicas) void r.host.terminate();
      },
      notice
        ? () => {
            const { running } = this.load();
            return (
              `actor ${this.name}: ${running} call${running === 1 ? '' : 's'} still running, ` +
              'or its onShutdown()'
            );
          }
        : undefined,
    );
  }
}
