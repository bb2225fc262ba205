import { PortConnection } from '../client/connection.js';
import { Op, StatSlot } from '../wire/messages.js';
import { endWithin, exitReason, type HostWorker, requestShutdown } from './host-worker.js';
import type { SpawnPlan } from './plan.js';
import type { ActorRecord, ActorSummary } from './record.js';

/** A serial or async actor: one worker thread, one instance. */
export class SingleWorkerActor implements ActorRecord {
  readonly ref: PortConnection;
  readonly exited: Promise<void>;
  private readonly host: HostWorker;
  private ending: string | undefined;

  constructor(private readonly plan: SpawnPlan) {
    this.host = plan.startWorker(0, false);
    this.ref = new PortConnection(this.host.port, plan.info, true);
    this.ref.onControl = (message) => {
      if (message[0] !== Op.Drained) return;
      this.ending ??= message[1] as string;
      void this.host.worker.terminate();
    };
    this.exited = new Promise((resolve) => {
      this.host.worker.once('exit', (code) => {
        this.ref.die(this.ending ?? exitReason(code, this.host, false));
        resolve();
      });
    });
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
    };
  }

  async kill(): Promise<void> {
    this.ending ??= 'it was killed';
    // Whoever awaits the end keeps the process alive until it comes.
    this.host.worker.ref();
    await this.host.worker.terminate();
    await this.exited;
  }

  async shutdown(timeoutMs?: number): Promise<void> {
    this.ending ??= 'it was shut down';
    this.host.worker.ref();
    requestShutdown(this.host, (message) => this.ref.post(message), timeoutMs);
    await endWithin(this.exited, timeoutMs, () => {
      this.ending = `it was shut down, and its calls had not finished within ${timeoutMs} ms`;
      void this.host.worker.terminate();
    });
  }
}
