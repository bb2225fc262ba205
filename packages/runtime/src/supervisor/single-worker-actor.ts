import type { Call } from '../caller/call.js';
import type { ActorRef } from '../caller/ref.js';
import { ActorDiedError, died } from '../errors.js';
import { Op, READY_METHOD, StatSlot } from '../wire/protocol.js';
import { ActorLifecycle } from './actor-lifecycle.js';
import { ForwardingTarget } from './forward.js';
import { exitReason, hasStarted } from './host-worker.js';
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
    this.replicas.push(this.startWorker());
    let forwarding: ForwardingTarget | undefined;
    // Handles hold this ref, which follows the actor from one worker to the next.
    this.ref = {
      info: plan.info,
      resends: plan.maxRestarts > 0,
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

  /**
   * Starts the worker. A constructor that throws ends the actor, as in Ray (no restart): its
   * worker exits and its name is freed; calls already sent reject with the constructor's error,
   * later ones with `ActorDiedError`.
   */
  private startWorker(): Replica {
    const replica = this.startReplica(0, 0, false);
    replica.conn.ready().catch((error: unknown) => {
      // A crash (the ready call then waits for the next worker), a kill or an end the host chose
      // (exitActor() in the constructor: an ActorDiedError) is handled where it happens.
      if (replica.conn.isDead || this.ending !== undefined || error instanceof ActorDiedError) {
        return;
      }
      this.ending = `its constructor threw ${describeError(error)}`;
      void replica.host.terminate();
    });
    return replica;
  }

  private get current(): Replica {
    return this.replicas[0] as Replica;
  }

  protected hostExited(replica: Replica, code: number): void {
    const reason = this.ending ?? exitReason(code, replica.host);
    // Results the worker sent before it ended settle their calls: they are neither lost nor
    // sent again.
    replica.conn.takeLastMessages();
    const started = (call: Call) => hasStarted(this.plan, replica, call);
    if (!this.takeRestart(replica)) {
      replica.conn.die(reason, started);
      return;
    }
    const interrupted = replica.conn.takePending();
    replica.conn.die(reason);
    this.replicas[0] = this.startWorker();
    const restart = this.restartTaken(false);
    for (const call of interrupted) {
      if (call.methodId === READY_METHOD) {
        // `ready()` waits for the new instance.
        this.current.conn.send(call);
        continue;
      }
      const ran = started(call);
      call.interrupted(ran, () => died.afterRestart(this.name, call.method, reason, restart, ran));
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

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
