import { listNodes } from '@troupe/cluster';
import { type ActorHandle, kill, listActors } from '@troupe/runtime';
import { formatMs } from '../common/measure.js';
import type { Progress } from '../common/progress.js';

/** One sample on one kind of actor, spread over the nodes: one actor on each. */
export interface SpreadPlan<A extends object, R> {
  label: string;
  nodes: readonly string[];
  /** Spawns the actor for `node` (with `placement: { node }`). */
  spawn: (node: string) => ActorHandle<A>;
  /** Work that completes creation after `ready()`, such as an async actor's connection. */
  prepare?: (actor: ActorHandle<A>) => Promise<unknown>;
  calls: number;
  call: (actor: ActorHandle<A>, index: number) => Promise<R>;
}

/** What one node did for a spread run. Times are milliseconds. */
export interface NodeShare {
  node: string;
  /** The actor as `listActors()` shows it: its name, where it runs and its incarnation. */
  actor: string;
  incarnation: number;
  /** The indexes of the calls it ran. */
  calls: number[];
  /** From the first call of the run to this node's last result. */
  timeMs: number;
  /** From `spawn` until its actor was ready (and prepared). */
  creationMs: number;
}

export interface SpreadMeasured<R> {
  /** In call order, whichever node ran them. */
  results: R[];
  /** From the first call to the last result, on any node. */
  timeMs: number;
  /** From the spawns until every actor was ready. */
  creationMs: number;
  shares: NodeShare[];
}

/** Which node's actor takes call `index`: in turn, so each node gets its share, in order. */
export function nodeOf(index: number, nodes: number): number {
  return index % nodes;
}

/**
 * Spawns one actor per node and waits until all are ready, then makes every call at once, call
 * `i` to node `i mod n`, and times them from the first call to the last result, as the
 * single-process samples do; each node's share is timed to its own last result.
 */
export async function measureSpread<A extends object, R>(
  plan: SpreadPlan<A, R>,
  progress: Progress,
): Promise<SpreadMeasured<R>> {
  progress.start(plan.label, plan.calls);
  const spawnedAt = performance.now();
  const actors: ActorHandle<A>[] = [];
  const placed: Placed[] = [];
  try {
    // One by one, so that a spawn refused on one node still ends those started on the others.
    for (const node of plan.nodes) actors.push(plan.spawn(node));
    const created = await Promise.all(
      actors.map(async (actor) => {
        await actor.ready();
        await plan.prepare?.(actor);
        return performance.now() - spawnedAt;
      }),
    );
    placed.push(...plan.nodes.map((node) => placedOn(node, plan.label)));
    const startedAt = performance.now();
    const lastResult = plan.nodes.map(() => 0);
    const pending = Array.from({ length: plan.calls }, (_, index) => {
      const n = nodeOf(index, plan.nodes.length);
      return plan.call(actors[n] as ActorHandle<A>, index).then((result) => {
        lastResult[n] = performance.now() - startedAt;
        progress.tick();
        return result;
      });
    });
    const results = await Promise.all(pending);
    const timeMs = performance.now() - startedAt;
    progress.done(formatMs(timeMs));
    return {
      results,
      timeMs,
      creationMs: Math.max(...created),
      shares: plan.nodes.map((node, n) => ({
        node,
        actor: placed[n]?.name ?? '?',
        incarnation: placed[n]?.incarnation ?? 0,
        calls: Array.from({ length: plan.calls }, (_, i) => i).filter(
          (i) => nodeOf(i, plan.nodes.length) === n,
        ),
        timeMs: lastResult[n] ?? 0,
        creationMs: created[n] ?? 0,
      })),
    };
  } catch (error) {
    progress.done('failed'); // ends the bar's line, so the error prints on a line of its own
    throw error;
  } finally {
    await Promise.all(actors.map((actor) => kill(actor)));
    await reportedGone(placed.map((actor) => actor.id));
  }
}

/** How long a node may take to report that its actor ended. */
const REPORT_TIMEOUT_MS = 30_000;

/**
 * Waits until the nodes' records no longer list `ids`: `kill()` returns once this process saw
 * the actor end, and placement counts a node's threads from its last record, so the next run's
 * spawn could otherwise find a node still full of the actor just killed.
 */
async function reportedGone(ids: string[]): Promise<void> {
  const deadline = performance.now() + REPORT_TIMEOUT_MS;
  for (;;) {
    const listed = new Set(listNodes().flatMap((node) => node.actors.map((actor) => actor.id)));
    const left = ids.filter((id) => listed.has(id));
    if (left.length === 0) return;
    if (performance.now() > deadline) {
      throw new Error(
        `actors ${left.join(', ')} were killed but their nodes still list them after ${REPORT_TIMEOUT_MS} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The actor this process placed on `node`, as `listActors()` reports it: the run has exactly one
 * there, or the placement did not do what the plan asked.
 */
interface Placed {
  id: string;
  name: string;
  incarnation: number;
}

function placedOn(node: string, label: string): Placed {
  const there = listActors().filter((actor) => actor.node === node);
  if (there.length !== 1) {
    throw new Error(
      `${label}: listActors() shows ${there.length} actors on node ${node}, where one was placed`,
    );
  }
  const [actor] = there as [(typeof there)[number]];
  return { id: actor.id, name: actor.name, incarnation: actor.incarnation ?? 0 };
}
