import { ActorDefinitionError } from '../errors.js';
import type { Placement, SpawnOptions } from '../options.js';
import type { ActorClass } from '../types.js';
import type { ActorInfo, ActorKind } from '../wire/protocol.js';
import type { ActorRecord } from './record.js';

/** A spawn as a placer sees it: what to start, with the options and identity this side planned. */
export interface PlacementRequest {
  /** The actor's identity as this process planned it (methods, groups, retries, limits). */
  readonly info: ActorInfo;
  readonly className: string;
  readonly exportName: string;
  /** URL of the compiled module that declares the class. */
  readonly moduleUrl: string;
  readonly kind: ActorKind;
  /** Threads the actor needs where it runs (a threaded actor's pool; 1 otherwise). */
  readonly threads: number;
  readonly options: SpawnOptions<ActorClass>;
  /** Restarts allowed after crashes, from the options and the class (Infinity for -1). */
  readonly maxRestarts: number;
  /** The name's registry key (`namespace/name`), for a named spawn. */
  readonly key: string | undefined;
}

/**
 * Decides where this process's new actors are hosted: a cluster (`@troupe/cluster`) places them
 * on its nodes. `place` returns the record of an actor it started elsewhere, or `undefined` to
 * host the actor here, in worker threads.
 */
export interface SpawnPlacer {
  place(request: PlacementRequest): ActorRecord | undefined;
}

let placer: SpawnPlacer | undefined;

/** Where new actors are placed from now on; `undefined` hosts them all in this process. */
export function useSpawnPlacer(next: SpawnPlacer | undefined): void {
  placer = next;
}

/** The record of an actor placed elsewhere, or `undefined` for one hosted here. */
export function placeElsewhere(request: PlacementRequest): ActorRecord | undefined {
  if (placer !== undefined) return placer.place(request);
  const placement: Placement | undefined = request.options.placement;
  if (placement === undefined || placement === 'any' || placement === 'local') return undefined;
  throw new ActorDefinitionError(
    `spawn(${request.className}, { placement: ${JSON.stringify(placement)} }): this process has ` +
      "not joined a cluster, so every actor runs here. Call connect() from '@troupe/cluster' " +
      "first, or leave placement out (or 'local').",
  );
}
