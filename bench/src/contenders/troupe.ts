import type * as Runtime from '@troupe/runtime';
import type * as Actors from '../actors.js';
import type { Contender } from '../harness.js';

export interface Troupe {
  rt: typeof Runtime;
  actors: typeof Actors;
}

let loading: Promise<Troupe> | undefined;

/**
 * Loads the runtime and the actors on first use, so a runtime that is missing or broken turns the
 * Troupe rows into error rows while the baselines still run.
 */
export function loadTroupe(): Promise<Troupe> {
  loading ??= Promise.all([import('@troupe/runtime'), import('../actors.js')]).then(
    ([rt, actors]) => ({ rt, actors }),
  );
  return loading;
}

/** Whether the runtime was loaded, so the run knows to call `shutdown()` at the end. */
export function troupeLoaded(): Promise<Troupe> | undefined {
  return loading;
}

/** A contender backed by one spawned actor: `open` spawns it and says how to drive it. */
export function troupe<C>(
  name: string,
  open: (t: Troupe) => { handle: Runtime.ActorHandle<object>; client: C },
): Contender<C> {
  return {
    name,
    async start() {
      const t = await loadTroupe();
      const { handle, client } = open(t);
      await handle.ready();
      return { client, stop: () => t.rt.kill(handle) };
    },
  };
}
