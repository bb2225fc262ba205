/**
 * The main module of every actor worker: imports the actor's module, builds the instance and
 * serves calls on the actor's port. Runs inside the worker thread only.
 */
import { workerData } from 'node:worker_threads';
import { decodeDeep } from '../client/codec.js';
import { loadViolation, moduleLoading } from '../client/context.js';
import { Endpoint } from '../client/endpoint.js';
import '../client/handle.js';
import type { HostInit } from '../wire/messages.js';
import { prefixOutput } from './console.js';
import { Executor } from './executor.js';
import { findActorClass } from './load.js';

const init = workerData as HostInit;
prefixOutput(init.name);

const executor = new Executor(init.name, init.methods, init.maxConcurrency, init.stats);
executor.setMainEndpoint(new Endpoint(init.port, executor));

async function boot(): Promise<void> {
  // Importing re-runs the module's top-level code; `spawn` refuses to run inside it.
  const ns = await moduleLoading.run(init.moduleUrl, () => import(init.moduleUrl));
  const violation = loadViolation();
  if (violation) throw violation;
  const Class = findActorClass(ns, init);
  const args = decodeDeep(init.args) as unknown[];
  executor.start(Reflect.construct(Class, args), init.awaitUnify);
}

boot().catch((error: unknown) => executor.failInit(error));
