/**
 * The owner's side of observation: each host this thread starts gets its stats memory here,
 * with an observation room where metrics or the timeline are on, and this file keeps every
 * room it handed out, by actor, so that metrics and the timeline can read them.
 */
import { ownedRecord } from '../supervisor/owned.js';
import type { HostPreparation, PlannedHost } from '../supervisor/plan.js';
import type { ActorInfo } from '../wire/protocol.js';
import { watchThisThread } from './call-watcher.js';
import { settings } from './configure.js';
import { epochMicros, Observed, ObserveRoom } from './layout.js';
import { providerRegistered } from './otel.js';
import { listenForReportedSpans } from './tracing.js';

/** One host's room and how far the timeline has read its ring. */
export interface HostMemory {
  readonly replica: number;
  readonly room: ObserveRoom;
  read: number;
}

/** An instant on the timeline: a spawn, a restart, a call cancelled or timed out at the caller. */
export interface Instant {
  readonly name: string;
  readonly at: number;
  readonly replica: number;
  readonly args?: Record<string, unknown>;
}

/** Every room of one actor, its restarts included, and what the timeline has read of them. */
export interface ActorMemory {
  readonly info: ActorInfo;
  readonly className: string;
  readonly label: string;
  /** The actor's process id in the trace. */
  readonly pid: number;
  readonly hosts: HostMemory[];
  readonly instants: Instant[];
  /** Calls read from the rings: `CALL_FIELDS` numbers each (see timeline.ts). */
  readonly calls: number[];
  /** Whether the timeline records it. */
  readonly timeline: boolean;
  /** Records lost because a ring filled before it was read. */
  lost: number;
  /** Ended, and its counts moved to its group's (metrics.ts). */
  retired: boolean;
}

const actors = new Map<string, ActorMemory>();
let nextPid = 1;

/** Every actor whose rooms are kept, spawned from this thread. */
export function observedActors(): IterableIterator<ActorMemory> {
  return actors.values();
}

export function actorMemory(actorId: string): ActorMemory | undefined {
  return actors.get(actorId);
}

export function forgetActor(actorId: string): void {
  actors.delete(actorId);
}

/** Whether the actor is still alive (owned by this thread). */
export function isLive(actorId: string): boolean {
  return ownedRecord(actorId) !== undefined;
}

/** The stats memory and worker setup of a host about to start (installed in `plan.ts`). */
export function prepareHost(host: PlannedHost): HostPreparation {
  const flags =
    (settings.metrics ? Observed.Metrics : 0) | (settings.timeline ? Observed.Timeline : 0);
  const workerSetup = settings.workerSetup;
  const tracing = settings.tracing && providerRegistered();
  if (tracing) listenForReportedSpans();
  if (tracing || settings.timeline) watchThisThread();
  // A host needs a room for its server spans too, even without metrics or a timeline.
  if (flags === 0 && !tracing) return { stats: ObserveRoom.plain(), workerSetup };
  const stats = ObserveRoom.allocate(
    host.info.methods.length,
    flags | (settings.tracing ? Observed.Tracing : 0),
    settings.timelineCapacity,
  );
  const room = ObserveRoom.of(stats) as ObserveRoom;
  let actor = actors.get(host.info.actorId);
  if (actor === undefined) {
    actor = {
      info: host.info,
      className: host.className,
      label: host.label,
      pid: nextPid++,
      hosts: [],
      instants: [],
      calls: [],
      timeline: settings.timeline,
      lost: 0,
      retired: false,
    };
    actors.set(host.info.actorId, actor);
  }
  const restart = actor.hosts.some((h) => h.replica === host.replica);
  if (actor.timeline) {
    actor.instants.push({
      name: restart ? 'restart' : 'spawn',
      at: epochMicros(),
      replica: host.replica,
    });
  }
  actor.hosts.push({ replica: host.replica, room, read: 0 });
  return { stats, workerSetup };
}
