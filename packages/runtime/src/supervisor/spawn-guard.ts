/**
 * Where `spawn` may run in this thread. A worker imports its actor's module, and that import
 * re-runs the module's top-level code: if that code spawns actors, every worker would spawn more
 * workers. A worker's host installs a guard that `spawn` consults; it names the reason to refuse.
 */

type SpawnGuard = () => string | undefined;

let guard: SpawnGuard | undefined;
let violation: Error | undefined;

export function setSpawnGuard(check: SpawnGuard): void {
  guard = check;
}

/** Why `spawn` must not run here and now, or undefined where it may. */
export function spawnRefusal(): string | undefined {
  return guard?.();
}

/** The first spawn refused while the actor's module loaded, for the host to report. */
export function loadViolation(): Error | undefined {
  return violation;
}

export function recordLoadViolation(error: Error): void {
  violation ??= error;
}
