/** Wires observation into this thread (called by the composition roots). */
import { setHostPreparation } from '../supervisor/plan.js';
import { unwatchIfIdle } from './call-watcher.js';
import { onConfigure } from './configure.js';
import { prepareHost } from './hosts.js';
import { ObserveRoom } from './layout.js';
import { keepReading, writeTimeline } from './timeline.js';

/** The main thread: metrics, the timeline and the worker setup of every actor it spawns. */
export function observeMainThread(): void {
  setHostPreparation(prepareHost);
  onConfigure(keepReading);
  onConfigure(unwatchIfIdle);
  keepReading();
  const path = process.env.TROUPE_TIMELINE;
  if (path) process.on('exit', () => writeTimeline(path));
}

/**
 * An actor's worker: the actors it spawns get its worker setup (their metrics and timeline are
 * not read: they cover the actors the main thread spawned).
 */
export function observeWorker(workerSetup: string | undefined): void {
  setHostPreparation(() => ({ stats: ObserveRoom.plain(), workerSetup }));
}
