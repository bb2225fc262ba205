/**
 * The main module of every actor worker: imports the actor's module, builds the instance and
 * serves calls on the actor's port. Runs inside the worker thread only.
 */
import { workerData } from 'node:worker_threads';
import { decodeDeep } from '../wire/codec.js';
import { Endpoint } from '../wire/endpoint.js';
import { loadViolation, setExitHandler, setRegistryPort, setSpawnGuard } from './call-context.js';
import '../caller/handle.js';
import type { HostInit } from '../wire/protocol.js';
import { prefixOutput } from './console.js';
import { Executor } from './executor.js';
import { findActorClass } from './load.js';

const init = workerData as HostInit;
prefixOutput(init.name);

const executor = new Executor(
  init.name,
  init.methods,
  init.groupLimits,
  init.methodGroups,
  init.streamMethods,
  init.stats,
);
executor.setMainEndpoint(new Endpoint(init.port, executor));

setExitHandler(() => executor.requestExit());
setRegistryPort(init.registryPort);

// Errors in an actor's background work (a timer, a promise nobody awaits) are reported with the
// actor's name (the output prefix) and do not end the actor, as Ray logs them and goes on.
process.on('uncaughtException', (error) => {
  console.error('uncaught exception in background work (the actor goes on):', error);
});
process.on('unhandledRejection', (reason) => {
  console.error('unhandled rejection in background work (the actor goes on):', reason);
});

let phase: 'loading' | 'constructing' | 'serving' = 'loading';

// Importing re-runs the module's top-level code. Actors may spawn from their constructor and
// their calls (and what those await), but top-level or background code must not, or each
// worker would spawn workers that import the module again.
setSpawnGuard(() => {
  if (phase === 'loading') {
    return `ran while the worker of actor ${init.name} was loading ${init.moduleUrl}: that module's top-level code spawns actors, and every worker that imports it would run it again`;
  }
  if (phase === 'serving' && executor.idle) {
    return `ran in the worker of actor ${init.name} outside its constructor and calls (top-level or background code of ${init.moduleUrl}?), where it could spawn workers that import the module again`;
  }
  return undefined;
});

async function boot(): Promise<void> {
  const ns = await import(init.moduleUrl);
  const violation = loadViolation();
  if (violation) throw violation;
  const Class = findActorClass(ns, init);
  const args = decodeDeep(init.args) as unknown[];
  phase = 'constructing';
  const instance = Reflect.construct(Class, args);
  phase = 'serving';
  executor.start(instance, init.awaitUnify);
}

boot().catch((error: unknown) => executor.failInit(error));
