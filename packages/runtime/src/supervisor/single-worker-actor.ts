import type { ActorRef } from '../caller/ref.js';
import { died } from '../errors.js';
import { Op, StatSlot } from '../wire/protocol.js';
import { ActorLifecycle } from './actor-lifecycle.js';
import { ForwardingTarget } from './forward.js';
import { exitReason } from './host-worker.js';
import type { SpawnPlan } from './plan.js';
import type { Replica } from './replica.js';

/**
 * A serial or async actor: one worker thread, one instance. With `maxRestarts`, a crashed worker
 * is replaced by a new one built with the same arguments; its handles keep working, and calls
 * that `maxTaskRetries` allows are sent to it again.
 */
export class SingleWorkerActor extends ActorLifecycle {
  readonly ref: ActorRef;

  constructor(plan: SpawnPlan) {
    super(plan);
    this.replicas.push(this.startReplica(0, 0, false));
    let forwarding: ForwardingTarget | undefined;
    // Handles hold this ref, which follows the actor from one worker to the next.
    this.ref = {
      info: plan.info,
      send: (call) => this.current.conn.send(call),
      cancel: (call, force, recursive) => this.current.conn.cancel(call, force, recursive),
      ready: () => this.current.conn.ready(),
      // A handle in another thread talks to the worker directly, unless the actor can restart:
      // then it goes through this thread, so that it follows the actor to its next worker.
      connect: () => (forwarding ? forwarding.connect() : this.current.conn.connect()),
      kill: () => this.kill(),
      terminate: (timeoutMs) => this.terminate(timeoutMs),
    };
    if (plan.maxRestarts > 0) forwarding = new ForwardingTarget(this.ref);
  }

  private get current(): Replica {
    return this.replicas[0] as Replica;
  }

  protected hostExited(replica: Replica, code: number): void {
    const reason = this.ending ?? exitReason(code, replica.host);
    if (!this.takeRestart()) {
      replica.conn.die(reason);
      return;
    }
    const runningCall = replica.host.stats[StatSlot.RunningCall];
    const oneAtATime = this.plan.info.kind === 'serial';
    const interrupted = replica.conn.takePending();
    replica.conn.die(reason);
    this.replicas[0] = this.startReplica(0, 0, false);
    const restart = this.restartTaken(false);
    for (const call of interrupted) {
      call.interrupted(() =>
        died.afterRestart(
          this.name,
          call.method,
          reason,
          restart,
          oneAtATime ? call.wireId === runningCall : undefined,
        ),
      );
    }
  }

  protected load(): { queued: number; running: number } {
    const stats = this.current.host.stats;
    return {
      queued: stats[StatSlot.Queued] as number,
      running: stats[StatSlot.Running] as number,
    };
  }

  protected dropQueued(): void {
    // The worker drops the calls it holds; none wait here.
  }

  protected finishQueued(): void {
    // After every call made so far: the worker runs those, and drops any that come later.
    this.current.conn.post([Op.Terminate]);
  }
}
