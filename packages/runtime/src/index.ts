import { isMainThread } from 'node:worker_threads';
import { setParentSource } from './caller/lineage.js';
import { registerBuiltins } from './caller/values.js';
import { currentChildren } from './host/call-context.js';
import { observeMainThread } from './observe/install.js';

export { cancel } from './caller/calls.js';
export { registerErrorClass } from './caller/error-classes.js';
export { type WaitOptions, wait } from './caller/wait.js';
export { actor } from './decorators/actor.js';
export { method, perThread } from './decorators/method.js';
export {
  ActorDefinitionError,
  ActorDiedError,
  ActorNotFoundError,
  ActorPoolError,
  ActorPoolTimeoutError,
  CancelledError,
  PendingCallsLimitError,
  RemoteError,
  SerializationError,
  TimeoutError,
  TroupeError,
  UnknownMethodError,
} from './errors.js';
export { callSignal, exitActor, isCancelled } from './host/call-context.js';
export { configure, type TroupeConfig } from './observe/configure.js';
export { type Dashboard, type DashboardOptions, serveDashboard } from './observe/dashboard.js';
export {
  type ActorMetrics,
  type Histogram,
  type MethodMetrics,
  metrics,
  type Outcome,
} from './observe/metrics.js';
export { type TraceEvent, timeline, writeTimeline } from './observe/timeline.js';
export { type TimelineSvgOptions, timelineSvg } from './observe/timeline-svg.js';
export type {
  ActorKind,
  ActorOptions,
  CallOptions,
  CompiledActorInfo,
  MethodOptions,
  Placement,
  SpawnArguments,
  SpawnOptions,
} from './options.js';
export { ActorPool } from './pool/actor-pool.js';
export { sharedArray } from './shared/array.js';
export { SharedCounter } from './shared/counter.js';
export { Mutex } from './shared/mutex.js';
export { SharedPrimitive } from './shared/primitive.js';
export {
  kill,
  type ShutdownOptions,
  shutdown,
  type TerminateOptions,
  terminate,
} from './supervisor/lifecycle.js';
export { listActors } from './supervisor/owned.js';
export type { ActorSummary } from './supervisor/record.js';
export { getActor, spawn } from './supervisor/spawn.js';
export type {
  ActorClass,
  ActorHandle,
  MethodKeys,
  RemoteArgs,
  RemoteMethod,
} from './types.js';
export { transfer } from './wire/transfer.js';

// Handles and shared primitives cross threads through the value codec: teach it before any call.
registerBuiltins();
// A worker's observation is wired by host/entry.ts, which hosts the actor.
if (isMainThread) observeMainThread();
// A call made by a running actor call is its child: cancelled with it.
setParentSource(currentChildren);
