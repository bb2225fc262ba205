import { type Pending, PortConnection } from '../caller/connection.js';
import type { ActorRef } from '../caller/ref.js';
import { ActorDiedError } from '../errors.js';
import { Op, StatSlot } from '../wire/protocol.js';
import { ForwardingTarget } from './forward.js';
import { endWithin, exitReason, type HostWorker, requestShutdown } from './host-worker.js';
import type { SpawnPlan } from './plan.js';
import type { ActorRecord, ActorSummary } from './record.js';

/**
 * A serial or async actor: one worker thread, one instance. With `maxRestarts`, a crashed worker
 * is replaced by a new one built with the same arguments; its handles keep working, and calls
 * that `maxTaskRetries` allows are sent to it again.
 */
export class SingleWorkerActor implements ActorRecord {
  readonly ref: ActorRef;
  readonly exited: Promise<void>;
  private host!: HostWorker;
  private conn!: PortConnection;
  private ending: string | undefined;
  private restartsLeft: number;
  private restarts = 0;
  private markExited: () => void = () => {};

  constructor(private readonly plan: SpawnPlan) {
    this.restartsLeft = plan.maxRestarts;
    this.exited = new Promise((resolve) => {
      this.markExited = resolve;
    });
    this.start();
    let forwarding: ForwardingTarget | undefined;
    // Handles hold this ref, which follows the actor from one worker to the next.
    this.ref = {
      ...plan.info,
      call: (methodId, args, group, policy) => this.conn.call(methodId, args, group, policy),
      cancelCall: (promise, makeError, force) => this.conn.cancelCall(promise, makeError, force),
      stream: (methodId, args) => this.conn.stream(methodId, args),
      ready: () => this.conn.ready(),
      // A handle in another thread talks to the worker directly, unless the actor can restart:
      // then it goes through this thread, so that it follows the actor to its next worker.
      connect: () => (forwarding ? forwarding.connect() : this.conn.connect()),
      kill: () => this.kill(),
    };
    if (plan.maxRestarts > 0) forwarding = new ForwardingTarget(this.ref);
  }

  private start(): void {
    const host = this.plan.startWorker(0, false);
    const conn = new PortConnection(host.port, this.plan.info, true);
    conn.onControl = (message) => {
      if (message[0] !== Op.Drained) return;
      this.ending ??= message[1] as string;
      void host.worker.terminate();
    };
    host.worker.once('exit', (code) => this.exitedWorker(host, conn, code));
    this.host = host;
    this.conn = conn;
  }

  private exitedWorker(host: HostWorker, conn: PortConnection, code: number): void {
    if (this.ending !== undefined || this.restartsLeft <= 0) {
      conn.die(this.ending ?? exitReason(code, host, false));
      this.markExited();
      return;
    }
    this.restartsLeft--;
    this.restarts++;
    const reason = exitReason(code, host, false);
    const runningCall = host.stats[StatSlot.RunningCall];
    const limitOne = this.plan.info.kind === 'serial';
    const interrupted = conn.takePending();
    conn.die(reason);
    this.start();
    for (const [callId, call] of interrupted) {
      if (PortConnection.canRetry(call)) this.conn.retry(call);
      else
        call.reject(
          this.interruptedError(call, reason, limitOne ? callId === runningCall : undefined),
        );
    }
  }

  private interruptedError(
    call: Pending,
    reason: string,
    ran: boolean | undefined,
  ): ActorDiedError {
    const name = this.plan.info.name;
    const method = this.plan.info.methods[call.methodId] ?? 'ready';
    const fate =
      ran === undefined
        ? 'it may have run in part, or not at all'
        : ran
          ? 'it was running and may have run in part'
          : 'it had not started';
    return new ActorDiedError(
      `Actor ${name} crashed (${reason}) and was restarted (restart ${this.restarts} of ` +
        `${this.plan.maxRestarts}); call '${method}' did not complete: ${fate}. Give it ` +
        'maxTaskRetries (and make it idempotent) to have it sent again.',
      name,
    );
  }

  summary(): ActorSummary {
    const stats = this.host.stats;
    return {
      id: this.plan.info.actorId,
      name: this.plan.info.name,
      kind: this.plan.info.kind,
      threads: 1,
      queued: stats[StatSlot.Queued],
      running: stats[StatSlot.Running],
      done: stats[StatSlot.Done],
      failed: stats[StatSlot.Failed],
      restarts: this.restarts,
    };
  }

  async kill(noRestart = true): Promise<void> {
    if (noRestart) this.ending ??= 'it was killed';
    const host = this.host;
    // Whoever awaits the end keeps the process alive until it comes.
    host.worker.ref();
    await host.worker.terminate();
    if (noRestart) await this.exited;
  }

  async shutdown(timeoutMs?: number): Promise<void> {
    this.ending ??= 'it was shut down';
    const host = this.host;
    host.worker.ref();
    requestShutdown(host, (message) => this.conn.post(message), timeoutMs);
    await endWithin(this.exited, timeoutMs, () => {
      this.ending = `it was shut down, and its calls had not finished within ${timeoutMs} ms`;
      void host.worker.terminate();
    });
  }
}
