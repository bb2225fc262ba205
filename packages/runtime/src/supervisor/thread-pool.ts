import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { PortConnection } from '../client/connection.js';
import { type CallTarget, Endpoint } from '../client/endpoint.js';
import type { ActorRef } from '../client/ref.js';
import { ActorDiedError } from '../errors.js';
import { Op, READY_METHOD, type SharedFields, StatSlot } from '../wire/messages.js';
import { exitReason, type HostWorker, requestShutdown } from './host-worker.js';
import type { SpawnPlan } from './plan.js';
import type { ActorRecord, ActorSummary } from './record.js';

interface Replica {
  host: HostWorker;
  conn: PortConnection;
}

interface QueuedCall {
  methodId: number;
  args: unknown[];
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * A threaded actor: `maxConcurrency` worker threads, each with its own replica. Calls wait here,
 * in arrival order, and each goes to a replica that is idle, so a long call never holds up a
 * call another thread could run. Replica 0 is built first; the others then adopt the shared
 * primitives it created (unified by field name).
 */
export class ThreadPoolActor implements ActorRecord, CallTarget {
  readonly ref: ActorRef;
  readonly exited: Promise<void>;
  readonly actorName: string;
  private readonly replicas: Replica[] = [];
  private readonly idle: Replica[] = [];
  private readonly queue: QueuedCall[] = [];
  private queueHead = 0;
  private failure: unknown;
  private ending: string | undefined;
  private readonly readyPromise: Promise<void>;

  constructor(private readonly plan: SpawnPlan) {
    this.actorName = plan.info.name;
    for (let i = 0; i < plan.maxConcurrency; i++) {
      const host = plan.startWorker(i, i > 0);
      const conn = new PortConnection(host.port, plan.info, true);
      const replica = { host, conn };
      conn.onControl = (message) => {
        if (message[0] === Op.Drained) void host.worker.terminate();
      };
      host.worker.once('exit', (code) => this.replicaExited(replica, code));
      this.replicas.push(replica);
    }
    this.exited = Promise.all(
      this.replicas.map((r) => new Promise((resolve) => r.host.worker.once('exit', resolve))),
    ).then(() => undefined);
    this.readyPromise = this.start();
    this.readyPromise.catch(() => {});
    this.ref = {
      ...plan.info,
      call: (methodId, args) => this.call(methodId, args),
      ready: () => this.readyPromise,
      connect: () => this.connect(),
      kill: () => this.kill(),
    };
  }

  private async start(): Promise<void> {
    const [first, ...others] = this.replicas;
    try {
      const fields = (await first.conn.call(READY_METHOD, [])) as SharedFields | undefined;
      this.becomeIdle(first);
      await Promise.all(
        others.map(async (replica) => {
          replica.conn.post([Op.Unify, fields ?? {}]);
          await replica.conn.call(READY_METHOD, []);
          this.becomeIdle(replica);
        }),
      );
    } catch (error) {
      this.fail(error);
      throw error;
    }
  }

  call(methodId: number, args: unknown[]): Promise<unknown> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ methodId, args, resolve, reject });
      this.pump();
    });
  }

  private becomeIdle(replica: Replica): void {
    if (this.failure !== undefined) return;
    this.idle.push(replica);
    this.pump();
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queueHead < this.queue.length) {
      const replica = this.idle.pop() as Replica;
      const call = this.queue[this.queueHead];
      this.queue[this.queueHead++] = undefined as never;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      replica.conn.call(call.methodId, call.args).then(
        (value) => {
          this.becomeIdle(replica);
          call.resolve(value);
        },
        (error) => {
          if (!replica.conn.isDead) this.becomeIdle(replica);
          call.reject(error);
        },
      );
    }
  }

  /** Rejects every waiting and later call with `error`, and ends the threads. */
  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.idle.length = 0;
    for (let i = this.queueHead; i < this.queue.length; i++) this.queue[i].reject(error);
    this.queue.length = 0;
    this.queueHead = 0;
    for (const r of this.replicas) void r.host.worker.terminate();
  }

  private replicaExited(replica: Replica, code: number): void {
    const reason = this.ending ?? exitReason(code, replica.host, false);
    replica.conn.die(reason);
    this.fail(
      new ActorDiedError(
        `Actor ${this.actorName} is dead (${reason}); the call was not run.`,
        this.actorName,
      ),
    );
  }

  connect(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    new Endpoint(port1, this, false);
    return port2;
  }

  submit(endpoint: Endpoint, callId: number, methodId: number, args: unknown[]): void {
    const call = methodId === READY_METHOD ? this.readyPromise : this.call(methodId, args);
    call.then(
      (value) => endpoint.reply(callId, value),
      (error) => endpoint.fail(callId, error),
    );
  }

  control(message: unknown[]): void {
    if (message[0] === Op.Kill) void this.kill();
  }

  summary(): ActorSummary {
    let done = 0;
    let failed = 0;
    for (const r of this.replicas) {
      done += r.host.stats[StatSlot.Done];
      failed += r.host.stats[StatSlot.Failed];
    }
    return {
      id: this.plan.info.actorId,
      name: this.actorName,
      kind: 'threaded',
      threads: this.replicas.length,
      queued: this.queue.length - this.queueHead,
      running: this.failure === undefined ? this.replicas.length - this.idle.length : 0,
      done,
      failed,
    };
  }

  async kill(): Promise<void> {
    this.ending ??= 'it was killed';
    for (const r of this.replicas) {
      // Whoever awaits the end keeps the process alive until it comes.
      r.host.worker.ref();
      void r.host.worker.terminate();
    }
    await this.exited;
  }

  async shutdown(): Promise<void> {
    this.ending ??= 'it was shut down';
    const dropped = (method: string) =>
      new ActorDiedError(
        `Actor ${this.actorName} was shut down before call '${method}' started; it did not run.`,
        this.actorName,
      );
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const call = this.queue[i];
      call.reject(dropped(this.plan.info.methods[call.methodId] ?? `#${call.methodId}`));
    }
    this.queue.length = 0;
    this.queueHead = 0;
    this.failure ??= new ActorDiedError(
      `Actor ${this.actorName} is dead (it was shut down); the call was not run.`,
      this.actorName,
    );
    for (const r of this.replicas) {
      r.host.worker.ref();
      requestShutdown(r.host, (message) => r.conn.post(message));
    }
    await this.exited;
  }
}
