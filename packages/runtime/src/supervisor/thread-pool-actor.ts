import { type Call, startCall } from '../caller/call.js';
import { type ActorRef, CancelOutcome } from '../caller/ref.js';
import { died, EndReason } from '../errors.js';
import { CallQueue, type Queued } from '../host/call-queue.js';
import { Op, READY_METHOD, type SharedFields } from '../wire/protocol.js';
import { ActorLifecycle } from './actor-lifecycle.js';
import { ForwardingTarget } from './forward.js';
import { exitReason, hasStarted, requestShutdown } from './host-worker.js';
import type { SpawnPlan } from './plan.js';
import type { Replica } from './replica.js';

/** A call waiting for a thread. */
interface Waiting extends Queued {
  readonly call: Call;
}

/** One concurrency group's idle threads and the calls waiting for them, in arrival order. */
interface Group {
  readonly idle: Replica[];
  readonly queue: CallQueue<Waiting>;
}

/**
 * A threaded actor: a pool of worker threads, each with its own replica, `maxConcurrency` of them
 * for the default group and as many as each concurrency group declares for the others. Calls
 * wait here, in arrival order, and each goes to an idle thread of its group, so a long call never
 * holds up a call another thread could run, and a saturated group never delays another group.
 * Replica 0 is built first; the others then adopt the shared primitives it created (unified by
 * field name).
 */
export class ThreadPoolActor extends ActorLifecycle {
  readonly ref: ActorRef;
  private readonly groups: Group[];
  /** Why every later call fails (a constructor threw, or the actor ended), once it does. */
  private failure: ((method: string) => unknown) | undefined;
  /** Terminating: the calls already made run, later ones are refused, then the threads drain. */
  private refusal: ((method: string) => unknown) | undefined;
  /** Terminating, and every thread was asked to drain. */
  private draining = false;
  /** Threads running each call, so that a cancel finds it at once. */
  private readonly runningOn = new Map<Call, Replica>();
  /** Calls waiting for a thread, so that a cancel finds each at once. */
  private readonly waiting = new Map<Call, Waiting>();
  private fieldsDefined: Promise<SharedFields>;
  private defineFields: (fields: SharedFields) => void = () => {};
  private rejectReady: (error: unknown) => void = () => {};
  private resolveReady: () => void = () => {};
  /** Indexes of threads whose first replica (or its replacement) is not serving yet. */
  private readonly unready = new Set<number>();
  /** The replica whose constructor is creating the shared fields, until it is done. */
  private definer: Replica | undefined;
  private readonly readyPromise: Promise<void>;

  constructor(plan: SpawnPlan) {
    super(plan);
    this.groups = plan.groupLimits.map(() => ({ idle: [], queue: new CallQueue() }));
    let index = 0;
    plan.groupLimits.forEach((threads, group) => {
      for (let i = 0; i < threads; i++) {
        // The first replica defines the shared fields; every other one adopts them.
        this.replicas.push(this.startThread(index, group, index > 0));
        this.unready.add(index);
        index++;
      }
    });
    this.fieldsDefined = new Promise((resolve) => {
      this.defineFields = resolve;
    });
    // Ready once a replica at every index (the first built, or its replacement) serves;
    // rejected if the actor fails (a constructor threw).
    this.readyPromise = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.readyPromise.catch(() => {});
    const [first, ...others] = this.replicas;
    for (const replica of others) this.join(replica);
    this.define(first as Replica);
    this.ref = {
      info: plan.info,
      resends: plan.maxRestarts > 0,
      send: (call) => this.send(call),
      cancel: (call, force, recursive) => this.cancel(call, force, recursive),
      ready: () => this.readyPromise,
      connect: () => forwarding.connect(),
      kill: () => this.kill(),
      terminate: (timeoutMs) => this.terminate(timeoutMs),
    };
    const forwarding = new ForwardingTarget(this.ref);
  }

  /** A thread and its replica; a call it answers frees it for the next. */
  private startThread(index: number, group: number, adoptsFields: boolean): Replica {
    const replica = this.startReplica(index, group, adoptsFields);
    replica.conn.onAnswered = (call) => this.finish(replica, call);
    return replica;
  }

  /** The replica that creates the shared fields: the first, or its replacement if it died first. */
  private define(replica: Replica): void {
    this.definer = replica;
    // Replica 0 answers the ready call with the shared fields it created.
    startCall(replica.conn, READY_METHOD, []).promise.then(
      (fields) => {
        this.definer = undefined;
        this.defineFields((fields as SharedFields | undefined) ?? {});
        this.becomeIdle(replica);
      },
      (error) => this.joinFailed(replica, error),
    );
  }

  /** A replica adopts the first replica's shared fields, then serves. */
  private join(replica: Replica): void {
    this.fieldsDefined
      .then((fields) => {
        replica.conn.post([Op.Unify, fields]);
        return replica.conn.ready();
      })
      .then(
        () => this.becomeIdle(replica),
        (error) => this.joinFailed(replica, error),
      );
  }

  /** Starts a thread in place of one that ended, defining the shared fields if it had to. */
  private replaceThread(old: Replica): void {
    const defines = old === this.definer;
    const fresh = this.startThread(old.index, old.group, !defines);
    this.replicas[this.replicas.indexOf(old)] = fresh;
    if (defines) this.define(fresh);
    else this.join(fresh);
  }

  /** A constructor that throws ends the actor; a thread that died meanwhile is replaced. */
  private joinFailed(replica: Replica, error: unknown): void {
    if (replica.retired || replica.conn.isDead) return;
    this.fail(() => error);
  }

  private send(call: Call): void {
    const refused = this.failure ?? this.refusal;
    if (refused !== undefined) {
      call.reject(refused(call.method));
      return;
    }
    const group = this.groupOf(call);
    const waiting: Waiting = { call, prev: undefined, next: undefined, queue: undefined };
    this.waiting.set(call, waiting);
    // A call sent again (after a crash or a retried error) keeps its place ahead of later ones.
    if (call.wireId !== 0) group.queue.unshift(waiting);
    else group.queue.push(waiting);
    this.pump(group);
  }

  private groupOf(call: Call): Group {
    const id = call.group ?? this.plan.methodGroups[call.methodId] ?? 0;
    return (this.groups[id] ?? this.groups[0]) as Group;
  }

  private cancel(call: Call, force: boolean, recursive: boolean): CancelOutcome {
    const waiting = this.waiting.get(call);
    if (waiting) {
      this.waiting.delete(call);
      (waiting.queue as CallQueue<Waiting>).remove(waiting);
      return CancelOutcome.Withdrawn;
    }
    const replica = this.runningOn.get(call);
    if (replica === undefined) return CancelOutcome.NotStarted;
    if (force) {
      // The caller settles the call; the thread running it is replaced.
      this.runningOn.delete(call);
      replica.running = undefined;
      this.retire(replica, 'its thread was replaced after a forced cancel', call);
      void replica.host.terminate();
      this.replaceThread(replica);
      return CancelOutcome.Stopped;
    }
    // Its thread decides, and is freed when the call really ends (`finish`).
    const outcome = replica.conn.cancel(call, false, recursive);
    // Handed to the thread but not started there: it never starts (the host skips it, and the
    // connection takes that answer as a skipped call's, not as this call's), so the thread is
    // free for the next call now. A call its connection still holds frees it when answered.
    if (outcome === CancelOutcome.Withdrawn) this.finish(replica, call);
    return outcome;
  }

  private becomeIdle(replica: Replica): void {
    if (this.failure !== undefined || replica.retired || replica.gone) return;
    if (this.unready.delete(replica.index) && this.unready.size === 0) this.resolveReady();
    const group = this.groups[replica.group] as Group;
    group.idle.push(replica);
    this.pump(group);
  }

  private pump(group: Group): void {
    while (group.idle.length > 0 && group.queue.size > 0) {
      const replica = group.idle.pop() as Replica;
      const { call } = group.queue.shift() as Waiting;
      this.waiting.delete(call);
      replica.running = call;
      this.runningOn.set(call, replica);
      replica.conn.send(call);
    }
  }

  /** A thread answered its call (the call settled itself, or was sent again): it is free. */
  private finish(replica: Replica, call: Call): void {
    // Its own ready call, or a call whose thread was replaced (a forced cancel), frees nothing.
    if (this.runningOn.get(call) !== replica) return;
    this.runningOn.delete(call);
    replica.running = undefined;
    if (!replica.retired && !replica.gone && !replica.conn.isDead) this.becomeIdle(replica);
    if (this.refusal !== undefined) this.drainWhenDone();
  }

  /** Terminating, with no call left waiting or running: every thread drains. */
  private drainWhenDone(): void {
    if (this.draining || this.runningOn.size > 0) return;
    for (const group of this.groups) if (group.queue.size > 0) return;
    this.draining = true;
    for (const r of this.replicas) requestShutdown(r.host, (message) => r.conn.post(message));
  }

  /**
   * Rejects every waiting and later call, and ends the threads, unless the actor is ending by
   * choice (`endThreads` false): then whoever ends it ends them, after their `onShutdown()`.
   */
  private fail(error: (method: string) => unknown, endThreads = true): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.rejectReady(error('ready'));
    for (const group of this.groups) {
      group.idle.length = 0;
      group.queue.drain(({ call }) => call.reject(error(call.method)));
    }
    this.waiting.clear();
    if (endThreads) for (const r of this.replicas) void r.host.terminate();
  }

  protected hostExited(replica: Replica, code: number): void {
    if (replica.retired) return;
    replica.gone = true;
    // A result the thread sent before it ended settles its call (which is not sent again).
    replica.conn.takeLastMessages();
    const reason = this.ending ?? exitReason(code, replica.host);
    const running = replica.running;
    replica.running = undefined;
    if (running) this.runningOn.delete(running);
    if (this.failure === undefined && this.takeRestart(replica)) {
      // The crashed thread alone is replaced (one restart); its call goes first in its group.
      this.retire(replica, reason, running);
      this.replaceThread(replica);
      const restart = this.restartTaken(true);
      if (running !== undefined) {
        const ran = hasStarted(this.plan, replica, running);
        running.interrupted(ran, () =>
          died.afterRestart(this.name, running.method, reason, restart, ran),
        );
      }
      return;
    }
    replica.conn.die(reason, (call) => hasStarted(this.plan, replica, call));
    this.fail((method) => died.notSent(this.name, method, reason), this.ending === undefined);
  }

  /**
   * A replica leaves the pool (crashed, or replaced): its connection dies, and the calls pending
   * on it with it, but `keep`, whose fate its owner decides.
   */
  private retire(replica: Replica, reason: string, keep: Call | undefined): void {
    replica.retired = true;
    // An idle thread can end too (a kill): it takes no more calls.
    const idle = (this.groups[replica.group] as Group).idle;
    const at = idle.indexOf(replica);
    if (at !== -1) idle.splice(at, 1);
    const pending = replica.conn.takePending();
    replica.conn.die(reason);
    for (const call of pending) {
      if (call !== keep) call.reject(died.inFlight(this.name, call.method, reason));
    }
  }

  protected load(): { queued: number; running: number } {
    let queued = 0;
    for (const group of this.groups) queued += group.queue.size;
    return { queued, running: this.runningOn.size };
  }

  protected finishQueued(): void {
    this.refusal = (method) => died.notSent(this.name, method, EndReason.Terminated);
    this.drainWhenDone();
  }

  protected dropQueued(): void {
    for (const group of this.groups) {
      group.queue.drain(({ call }) =>
        call.reject(died.beforeStart(this.name, call.method, this.ending as string)),
      );
    }
    this.waiting.clear();
    const reason = this.ending as string;
    this.failure ??= (method) => died.notSent(this.name, method, reason);
  }
}
