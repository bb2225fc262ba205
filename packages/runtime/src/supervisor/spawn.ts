import { isMainThread } from 'node:worker_threads';
import { loadErrorClasses } from '../caller/error-classes.js';
import { createHandle } from '../caller/handle.js';
import { definitionOf } from '../decorators/definition.js';
import { ActorDefinitionError, ActorNotFoundError } from '../errors.js';
import type { SpawnArguments, SpawnOptions } from '../options.js';
import type { ActorClass, ActorHandle } from '../types.js';
import { lookupName, nameKey, registerName } from './names.js';
import { register } from './owned.js';
import { placeElsewhere } from './placement.js';
import { planSpawn } from './plan.js';
import { SingleWorkerActor } from './single-worker-actor.js';
import { recordLoadViolation, spawnRefusal } from './spawn-guard.js';
import { ThreadPoolActor } from './thread-pool-actor.js';

/**
 * Starts an actor of class `cls` in its own worker thread (a pool of them for a threaded actor)
 * and returns its handle at once; calls made before the actor is built wait for it.
 *
 * @example
 * const counter = spawn(Counter, { args: [10] });
 * await counter.incr(1); // 11
 */
export function spawn<C extends ActorClass>(
  cls: C,
  ...rest: SpawnArguments<C>
): ActorHandle<InstanceType<C>> {
  const options: SpawnOptions<C> = rest[0] ?? {};
  const def = definitionOf(cls);
  if (!def) {
    throw new ActorDefinitionError(
      `spawn(${(cls as { name?: string })?.name || cls}): not an actor class. Decorate it with ` +
        '@actor() from @troupe/runtime (and export it from its module).',
    );
  }
  const refusal = spawnRefusal();
  if (refusal !== undefined) {
    const error = new ActorDefinitionError(
      `spawn(${def.className}) ${refusal}. Move the code that spawns and drives actors into ` +
        'another module (keep actor classes in modules without top-level effects), or build ' +
        'with @troupe/transformer, which extracts actors from such modules.',
    );
    recordLoadViolation(error);
    throw error;
  }
  if (!def.compiled) warnWithoutTransformer(def.className);
  if (def.module) loadErrorClasses(def.module);
  const key = keyOf(def.className, options);
  checkLifetime(def.className, options);
  if (key !== undefined) {
    const existing = lookupName(key);
    if (existing && options.getIfExists) {
      return createHandle(existing) as ActorHandle<InstanceType<C>>;
    }
    if (existing) throw nameTaken(def.className, options);
  }
  const plan = planSpawn(def, options);
  const record =
    placeElsewhere({
      info: plan.info,
      className: def.className,
      exportName: def.exportName,
      moduleUrl: def.module ?? (def.workerModule as string),
      kind: def.kind,
      threads: def.kind === 'threaded' ? plan.groupLimits.reduce((a, b) => a + b, 0) : 1,
      options: options as SpawnOptions<ActorClass>,
      maxRestarts: plan.maxRestarts,
      key,
    }) ?? (def.kind === 'threaded' ? new ThreadPoolActor(plan) : new SingleWorkerActor(plan));
  register(record);
  if (key !== undefined && !registerName(key, record.ref, record.exited)) {
    // Another thread took the name between the lookup and now (the registration decides, in one
    // step): this actor ends at once, and getIfExists gets the one that won.
    void record.kill();
    const winner = options.getIfExists ? lookupName(key) : undefined;
    if (winner) return createHandle(winner) as ActorHandle<InstanceType<C>>;
    throw nameTaken(def.className, options);
  }
  return createHandle(record.ref) as ActorHandle<InstanceType<C>>;
}

/** The registry key of a spawn's name, with its options checked; undefined without a name. */
function keyOf(
  className: string,
  options: { name?: unknown; namespace?: unknown; getIfExists?: unknown },
): string | undefined {
  const where = `spawn(${className})`;
  if (options.name === undefined) {
    if (options.getIfExists) {
      throw new TypeError(
        `${where}: getIfExists needs a name (getIfExists: true, name: 'my-actor'): without one ` +
          'there is no actor to get.',
      );
    }
    return undefined;
  }
  return nameKey(options.name, options.namespace, where);
}

function checkLifetime(className: string, options: { lifetime?: unknown; placement?: unknown }) {
  const { lifetime } = options;
  if (lifetime === undefined || lifetime === 'detached') return;
  throw new TypeError(
    `spawn(${className}): lifetime must be 'detached' or left out (owned by the process that ` +
      `spawns it), not ${JSON.stringify(lifetime) ?? String(lifetime)}.`,
  );
}

function nameTaken(className: string, options: { name?: string; namespace?: string }) {
  return new ActorDefinitionError(
    `spawn(${className}, { name: '${options.name}' }): a live actor already has that name in ` +
      `namespace '${options.namespace ?? 'default'}'. Pass getIfExists: true to use it, pick ` +
      'another name, or kill it first (which frees the name).',
  );
}

/**
 * The handle of the live actor registered under `name` (in `namespace`), from anywhere in this
 * process. `T` is the actor's class, for the handle's types.
 *
 * @example
 * const counter = getActor<Counter>('global-counter');
 */
export function getActor<T>(name: string, options: { namespace?: string } = {}): ActorHandle<T> {
  const ref = lookupName(nameKey(name, options.namespace, `getActor(${String(name)})`));
  if (!ref) {
    throw new ActorNotFoundError(
      `getActor('${name}'): no live actor has that name in namespace ` +
        `'${options.namespace ?? 'default'}'. Spawn one with spawn(Class, { name: '${name}' }).`,
    );
  }
  return createHandle(ref) as ActorHandle<T>;
}

let warned = false;

/** Once per process: what a build without `@troupe/transformer` gives up. */
function warnWithoutTransformer(className: string): void {
  if (warned || !isMainThread || process.env.TROUPE_SILENCE_TRANSFORMER_WARNING) return;
  warned = true;
  process.emitWarning(
    `${className} (and any other actor built the same way) was not compiled with ` +
      '@troupe/transformer, so Troupe works from runtime metadata alone: each worker imports ' +
      "the actor's module and re-runs its top-level code; a method counts as async only if it " +
      'is a native async function (or says @method({ async: true })), and a serial or threaded ' +
      'actor refuses calls of a method that returns a promise; and the build checks ' +
      '(TROUPE101-109: thread safety, blocking methods, uncloneable types) did not run. Build ' +
      'with the analysis: tsc && troupe build, tspc with { "transform": "@troupe/transformer" } ' +
      'in compilerOptions.plugins, or the @troupe/transformer/esbuild and /vite plugins. ' +
      'Set TROUPE_SILENCE_TRANSFORMER_WARNING=1 to silence this.',
    { code: 'TROUPE_NO_TRANSFORMER' },
  );
}
