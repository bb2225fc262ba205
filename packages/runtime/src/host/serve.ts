import { fileURLToPath } from 'node:url';
import { ActorDefinitionError } from '../errors.js';
import { loadBundled } from '../wire/bundled.js';
import { decodeDeep } from '../wire/codec.js';
import { Endpoint } from '../wire/endpoint.js';
import type { HostInit } from '../wire/protocol.js';
import type { Transport } from '../wire/transport.js';
import { Executor, type ExecutorInit } from './executor.js';
import { findActorClass } from './load.js';

/** Where a host stands while it builds its actor. */
export type HostPhase = 'loading' | 'constructing' | 'serving';

/** What the place hosting an actor (a worker thread, another process) adds to serving it. */
export interface HostHooks extends Pick<ExecutorInit, 'exit' | 'beforeDrained' | 'watch'> {
  /** The host moved on to `phase`. */
  phase?(phase: HostPhase): void;
  /** Runs before the host imports anything (a worker registers its parent's loader). */
  beforeImports?(): Promise<void>;
  /** The actor's module loaded: throw to fail the actor (a spawn its top-level code made). */
  loaded?(): void;
}

/**
 * Hosts one actor on `transport`, the owner's link to it: imports its module, builds the
 * instance with the constructor arguments and serves its calls. Calls that arrive before the
 * instance is built wait for it; a constructor that throws fails them and `ready()`.
 */
export function serveActor(
  init: Omit<HostInit, 'port'>,
  transport: Transport,
  hooks: HostHooks,
): Executor {
  const executor = new Executor({
    ...init,
    exit: hooks.exit,
    beforeDrained: hooks.beforeDrained,
    watch: hooks.watch,
  });
  executor.setMainEndpoint(new Endpoint(transport, executor));
  boot(init, executor, hooks).catch((error: unknown) => executor.failInit(error));
  return executor;
}

async function boot(init: Omit<HostInit, 'port'>, executor: Executor, hooks: HostHooks) {
  hooks.phase?.('loading');
  await hooks.beforeImports?.();
  // The worker setup hook (`configure({ workerSetup })`) runs before the actor's own module.
  if (init.workerSetup !== undefined) await importModule(init.workerSetup);
  const ns = await importModule(init.moduleUrl);
  hooks.loaded?.();
  const Class = findActorClass(ns, init);
  const args = decodeDeep(init.args) as unknown[];
  hooks.phase?.('constructing');
  const instance = Reflect.construct(Class, args);
  hooks.phase?.('serving');
  executor.start(instance, init.awaitUnify);
}

/** Node imports a URL; module loaders such as Jest's (an in-process host) resolve paths only. */
function importModule(url: string): Promise<Record<string, unknown>> {
  return (loadBundled(url) ?? import(url))
    .catch((error: unknown) => {
      if (!url.startsWith('file:') || isUnknownExtension(error)) throw error;
      return import(fileURLToPath(url));
    })
    .catch((error: unknown) => {
      if (!isUnknownExtension(error)) throw error;
      throw new ActorDefinitionError(
        `The worker cannot import ${url}: loader hooks do not reach worker threads on this ` +
          "Node, and a worker registers only tsx's, when the process preloads it (the tsx " +
          'command, or node --import tsx), so it cannot load TypeScript. Run under tsx that ' +
          "way, run the build's JavaScript (tspc, or tsc && troupe build, then node), bundle " +
          'with the @troupe/transformer/esbuild plugin, or test with vitest and the ' +
          '@troupe/transformer/vite plugin.',
      );
    });
}

function isUnknownExtension(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_UNKNOWN_FILE_EXTENSION';
}
