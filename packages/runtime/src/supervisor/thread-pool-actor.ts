import { trackRef, untrackRef } from '../caller/calls.js';
import { PortConnection } from '../caller/connection.js';
import type { ActorRef } from '../caller/ref.js';
import { ActorDiedError } from '../errors.js';
import type { RetryPolicy } from '../options.js';
import { Op, READY_METHOD, type SharedFields, StatSlot } from '../wire/protocol.js';
import { ForwardingTarget } from './forward.js';
import { endWithin, exitReason, type HostWorker, requestShutdown } from './host-worker.js';
import type { SpawnPlan } from './plan.js';
import type { ActorRecord, ActorSummary } from './record.js';

interface Replica {
  readonly index: number;
  readonly group: number;
  host: HostWorker;
  conn: PortConnection;
  /** The call it runs: the caller's promise and the promise on the replica's connection. */
  running: Running | undefined;
  /** Replaced by a new thread (a forced cancel): its exit is expected. */
  retired: boolean;
}

interface Running {
  outer: Promise<unknown>;
  inner: Promise<unknown>;
  methodId: number;
  reject(error: unknown): void;
  call: QueuedCall;
}

interface QueuedCall {
  methodId: number;
  args: unknown[];
  resolve(value: unknown): void;
  reject(error: unknown): void;
  promise: Promise<unknown> | null;
  /** Its retry policy, where it has one (sends left, and the errors it retries on). */
  policy: RetryPolicy | undefined;
}

/** One concurrency group's threads and the calls waiting for them, in arrival order. */
interface Group {
  idle: Replica[];
  queue: QueuedCall[];
}

/**
 * A threaded actor: a pool of worker threads, each with its own replica, `maxConcurrency` of them
 * for the default group and as many as each concurrency group declares for the others. Calls
 * wait here, in arrival order, and each goes to an idle thread of its group, so a long call never
 * holds up a call another thread could run, and a saturated group never delays another group.
 * Replica 0 is built first; the others then adopt the shared primitives it created (unified by
 * field name).
 */
export class ThreadPoolActor implements ActorRecord {
  readonly ref: ActorRef;
  readonly exited: Promise<void>;
  readonly actorName: string;
  /** Threads started and not yet exited, replacements included. */
  private live = 0;
  private markExited: () => void = () => {};
  private readonly replicas: Replica[] = [];
  private readonly groups: Group[];
  private failure: unknown;
  private restartsLeft: number;
  private restarts = 0;
  private ending: string | undefined;
  private sharedFields: SharedFields = {};
  private fieldsDefined: Promise<SharedFields> = Promise.resolve({});
  private defineFields: (fields: SharedFields) => void = () => {};
  private rejectReady: (error: unknown) => void = () => {};
  private resolveReady: () => void = () => {};
  /** Indexes of threads whose first replica (or its replacement) is not serving yet. */
  private readonly unready = new Set<number>();
  /** The replica whose constructor is creating the shared fields, until it is done. */
  private definer: Replica | undefined;
  private readonly readyPromise: Promise<void>;

  constructor(private readonly plan: SpawnPlan) {
    this.actorName = plan.info.name;
    this.restartsLeft = plan.maxRestarts;
    this.exited = new Promise((resolve) => {
      this.markExited = resolve;
    });
    this.groups = plan.groupLimits.map(() => ({ idle: [], queue: [] }));
    let index = 0;
    plan.groupLimits.forEach((threads, group) => {
      for (let i = 0; i < threads; i++) {
        // The first replica defines the shared fields; every other one adopts them.
        this.replicas.push(this.startReplica(index, group, index > 0));
        this.unready.add(index);
        index++;
      }
    });
    this.readyPromise = this.start();
    this.readyPromise.catch(() => {});
    this.ref = {
      ...plan.info,
      call: (methodId, args, group, policy) => this.call(methodId, args, group, policy),
      cancelCall: (promise, error, force) => this.cancelCall(promise, error, force),
      stream: (methodId) => {
        // A threaded actor has no async methods, so none of its methods is a generator.
        throw new TypeError(
          `Actor ${this.actorName}: method '${plan.info.methods[methodId]}' cannot stream: ` +
            'only async generator methods stream, and they make an actor async, not threaded.',
        );
      },
      ready: () => this.readyPromise,
      connect: () => forwarding.connect(),
      kill: () => this.kill(),
    };
    const forwarding = new ForwardingTarget(this.ref);
    trackRef(this.ref);
    this.exited.then(() => untrackRef(this.ref));
  }

  private startReplica(index: number, group: number, adoptsFields: boolean): Replica {
    const host = this.plan.startWorker(index, adoptsFields);
    const replica: Replica = {
      index,
      group,
      host,
      conn: new PortConnection(host.port, this.plan.info, true),
      running: undefined,
      retired: false,
    };
    replica.conn.onControl = (message) => {
      if (message[0] !== Op.Drained) return;
      void host.worker.terminate();
      // A replica that called exitActor() ends the whole actor, gracefully.
      if (this.ending === undefined) {
        this.ending = message[1] as string;
        void this.shutdown();
      }
    };
    this.live++;
    host.worker.once('exit', (code) => {
      this.live--;
      this.replicaExited(replica, code);
      if (this.live === 0) this.markExited();
    });
    return replica;
  }

  /**
   * Resolves once the first replica is built, with the shared primitives it created; rejects if
   * its constructor threw. Every other replica, and any replacement, adopts them.
   */
  private start(): Promise<void> {
    let defined!: (fields: SharedFields) => void;
    this.fieldsDefined = new Promise((resolve) => {
      defined = resolve;
    });
    this.defineFields = defined;
    const [first, ...others] = this.replicas;
    for (const replica of others) this.join(replica);
    void this.define(first).catch(() => {});
    // Ready once a replica at every index (the first built, or its replacement) serves;
    // rejected if the actor fails (a constructor threw).
    return new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
  }

  /** The replica that creates the shared fields: the first, or its replacement if it died first. */
  private define(replica: Replica): Promise<void> {
    this.definer = replica;
    const ready = replica.conn.call(READY_METHOD, []).then((fields) => {
      this.sharedFields = (fields as SharedFields | undefined) ?? {};
      this.definer = undefined;
      this.defineFields(this.sharedFields);
      this.becomeIdle(replica);
    });
    ready.catch((error) => this.joinFailed(replica, error));
    return ready;
  }

  /** Starts a thread in place of one that ended, defining the shared fields if it had to. */
  private replaceThread(old: Replica): void {
    const defines = old === this.definer;
    const fresh = this.startReplica(old.index, old.group, !defines);
    this.replicas[this.replicas.indexOf(old)] = fresh;
    if (defines) void this.define(fresh).catch(() => {});
    else this.join(fresh);
  }

  /** A replica adopts the first replica's shared fields, then serves. */
  private join(replica: Replica): void {
    this.fieldsDefined
      .then((fields) => {
        replica.conn.post([Op.Unify, fields]);
        return replica.conn.call(READY_METHOD, []);
      })
      .then(
        () => this.becomeIdle(replica),
        (error) => this.joinFailed(replica, error),
      );
  }

  /** A constructor that throws ends the actor; a thread that died meanwhile is replaced. */
  private joinFailed(replica: Replica, error: unknown): void {
    if (replica.retired || replica.conn.isDead) return;
    this.fail(error);
  }

  call(methodId: number, args: unknown[], group?: number, policy?: RetryPolicy): Promise<unknown> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    let queued: QueuedCall | undefined;
    const retry = policy ?? this.plan.info.retries[methodId];
    const promise = new Promise((resolve, reject) => {
      queued = {
        methodId,
        args,
        resolve,
        reject,
        promise: null,
        policy: retry && retry.maxTaskRetries !== 0 ? { ...retry } : undefined,
      };
    });
    (queued as QueuedCall).promise = promise;
    const g = this.groups[group ?? this.plan.methodGroups[methodId] ?? 0] ?? this.groups[0];
    g.queue.push(queued as QueuedCall);
    this.pump(g);
    return promise;
  }

  cancelCall(
    promise: Promise<unknown>,
    makeError: (methodId: number) => Error,
    force: boolean,
  ): boolean {
    for (const group of this.groups) {
      const at = group.queue.findIndex((q) => q.promise === promise);
      if (at >= 0) {
        const [call] = group.queue.splice(at, 1);
        call.reject(makeError(call.methodId));
        return true;
      }
    }
    const replica = this.replicas.find((r) => r.running?.outer === promise);
    if (!replica?.running) return false;
    const { inner, methodId, reject } = replica.running;
    replica.running = undefined;
    const error = makeError(methodId);
    if (force) this.replace(replica, error);
    else replica.conn.signalCancel(inner);
    reject(error);
    return true;
  }

  /**
   * A replica's thread crashed with restarts left: a new thread and replica take its place (one
   * restart counted), and its call is queued again if its retries allow, first in its group.
   */
  private restartThread(crashed: Replica, reason: string): void {
    this.restartsLeft--;
    this.restarts++;
    const running = crashed.running;
    crashed.running = undefined;
    crashed.retired = true;
    crashed.conn.die(reason);
    this.replaceThread(crashed);
    if (!running) return;
    const { call } = running;
    const policy = call.policy;
    if (policy && policy.maxTaskRetries !== 0) {
      if (policy.maxTaskRetries > 0) policy.maxTaskRetries--;
      const group = this.groups[crashed.group];
      group.queue.unshift(call);
      this.pump(group);
      return;
    }
    const method = this.plan.info.methods[call.methodId];
    call.reject(
      new ActorDiedError(
        `Actor ${this.actorName}: the thread running call '${method}' crashed (${reason}) and ` +
          `was replaced (restart ${this.restarts} of ${this.plan.maxRestarts}); the call was ` +
          'running and may have run in part. Give it maxTaskRetries (and make it idempotent) ' +
          'to have it sent again.',
        this.actorName,
      ),
    );
  }

  /** Ends a replica's thread (a forced cancel) and puts a new one, with a new replica, in its place. */
  private replace(old: Replica, error: Error): void {
    old.retired = true;
    old.conn.die(`its thread was replaced after a forced cancel (${error.message})`);
    void old.host.worker.terminate();
    this.replaceThread(old);
  }

  private becomeIdle(replica: Replica): void {
    if (this.failure !== undefined || replica.retired) return;
    if (this.unready.delete(replica.index) && this.unready.size === 0) this.resolveReady();
    const group = this.groups[replica.group];
    group.idle.push(replica);
    this.pump(group);
  }

  private pump(group: Group): void {
    while (group.idle.length > 0 && group.queue.length > 0) {
      const replica = group.idle.pop() as Replica;
      const call = group.queue.shift() as QueuedCall;
      // The replica's connection retries thrown errors the policy names; crashes are ours.
      const inner = replica.conn.call(call.methodId, call.args, undefined, call.policy);
      const running: Running = {
        outer: call.promise as Promise<unknown>,
        inner,
        methodId: call.methodId,
        reject: call.reject,
        call,
      };
      replica.running = running;
      inner.then(
        (value) => this.finish(replica, running, () => call.resolve(value)),
        (error) => this.finish(replica, running, () => call.reject(error)),
      );
    }
  }

  private finish(replica: Replica, running: Running, settle: () => void): void {
    // A cancelled call was settled already; its replica is free now (or was replaced).
    if (replica.running !== running) {
      if (!replica.retired && !replica.conn.isDead) this.becomeIdle(replica);
      return;
    }
    replica.running = undefined;
    if (!replica.conn.isDead) this.becomeIdle(replica);
    settle();
  }

  /** Rejects every waiting and later call with `error`, and ends the threads. */
  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.rejectReady(error);
    for (const group of this.groups) {
      group.idle.length = 0;
      for (const call of group.queue.splice(0)) call.reject(error);
    }
    for (const r of this.replicas) void r.host.worker.terminate();
  }

  private replicaExited(replica: Replica, code: number): void {
    if (replica.retired) return;
    if (this.ending === undefined && this.failure === undefined && this.restartsLeft > 0) {
      this.restartThread(replica, exitReason(code, replica.host, false));
      return;
    }
    const reason = this.ending ?? exitReason(code, replica.host, false);
    replica.conn.die(reason);
    this.fail(
      new ActorDiedError(
        `Actor ${this.actorName} is dead (${reason}); the call was not run.`,
        this.actorName,
      ),
    );
  }

  summary(): ActorSummary {
    let done = 0;
    let failed = 0;
    let running = 0;
    for (const r of this.replicas) {
      done += r.host.stats[StatSlot.Done];
      failed += r.host.stats[StatSlot.Failed];
      if (r.running) running++;
    }
    return {
      id: this.plan.info.actorId,
      name: this.actorName,
      kind: 'threaded',
      threads: this.replicas.length,
      queued: this.groups.reduce((n, g) => n + g.queue.length, 0),
      running,
      done,
      failed,
      restarts: this.restarts,
    };
  }

  async kill(noRestart = true): Promise<void> {
    if (!noRestart) {
      // As a crash of every thread: each is replaced while restarts are left.
      for (const r of [...this.replicas]) void r.host.worker.terminate();
      return;
    }
    this.ending ??= 'it was killed';
    for (const r of this.replicas) {
      // Whoever awaits the end keeps the process alive until it comes.
      r.host.worker.ref();
      void r.host.worker.terminate();
    }
    await this.exited;
  }

  async shutdown(timeoutMs?: number): Promise<void> {
    this.ending ??= 'it was shut down';
    for (const group of this.groups) {
      for (const call of group.queue.splice(0)) {
        const method = this.plan.info.methods[call.methodId] ?? `#${call.methodId}`;
        call.reject(
          new ActorDiedError(
            `Actor ${this.actorName} was shut down before call '${method}' started; it did not run.`,
            this.actorName,
          ),
        );
      }
    }
    this.failure ??= new ActorDiedError(
      `Actor ${this.actorName} is dead (it was shut down); the call was not run.`,
      this.actorName,
    );
    for (const r of this.replicas) {
      r.host.worker.ref();
      requestShutdown(r.host, (message) => r.conn.post(message), timeoutMs);
    }
    await endWithin(this.exited, timeoutMs, () => {
      this.ending = `it was shut down, and its calls had not finished within ${timeoutMs} ms`;
      for (const r of this.replicas) void r.host.worker.terminate();
    });
  }
}
