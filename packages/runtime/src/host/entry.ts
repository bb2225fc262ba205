/**
 * The main module of every actor worker, and the one composition root of a worker: it wires the
 * caller side (actors hold handles and spawn children) and the supervisor side (a worker owns the
 * actors it spawns) into the thread, then serves the actor on its port.
 */
import { workerData } from 'node:worker_threads';
import { setParentSource, whenHandlesExist } from '../caller/lineage.js';
import { registerBuiltins } from '../caller/values.js';
import { recorderFor } from '../observe/host-recorder.js';
import { observeWorker } from '../observe/install.js';
import { setRegistryPort } from '../supervisor/names.js';
import { loadViolation, setSpawnGuard } from '../supervisor/spawn-guard.js';
import { flushReplies } from '../wire/endpoint.js';
import type { HostInit } from '../wire/protocol.js';
import { PortTransport } from '../wire/transport.js';
import { currentChildren, isActorExit, setThreadRunner, trackCalls } from './call-context.js';
import { prefixOutput } from './console.js';
import { flushOutput } from './drain.js';
import { useParentLoader } from './parent-loader.js';
import { type HostPhase, serveActor } from './serve.js';

const init = workerData as HostInit;
registerBuiltins();
setParentSource(currentChildren);
// An actor that holds a handle can make calls: follow its calls past their awaits from then on.
whenHandlesExist(trackCalls);
prefixOutput(init.name);
if (init.registryPort) setRegistryPort(init.registryPort);
observeWorker(init.workerSetup);

// Errors in an actor's background work (a timer, a promise nobody awaits) are reported with the
// actor's name (the output prefix) and do not end the actor, as Ray logs them and goes on. The
// signal exitActor() throws from background work is no error: the actor is ending already.
process.on('uncaughtException', (error) => {
  if (isActorExit(error)) return;
  console.error('uncaught exception in background work (the actor goes on):', error);
});
process.on('unhandledRejection', (reason) => {
  if (isActorExit(reason)) return;
  console.error('unhandled rejection in background work (the actor goes on):', reason);
});

// A call that ends its worker (process.exit) must not take with it the results of the calls that
// finished before it in the same batch: they leave first, and count (guarantee 4).
const exitWorker = process.exit.bind(process);
process.exit = ((code?: number | string | null) => {
  flushReplies();
  return exitWorker(code);
}) as typeof process.exit;

let phase: HostPhase = 'loading';

const executor = serveActor(init, new PortTransport(init.port as NonNullable<HostInit['port']>), {
  exit: () => process.exit(0),
  beforeDrained: flushOutput,
  watch: recorderFor(init),
  beforeImports: useParentLoader,
  phase: (next) => {
    phase = next;
  },
  loaded: () => {
    const violation = loadViolation();
    if (violation) throw violation;
  },
});
setThreadRunner(executor);

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
