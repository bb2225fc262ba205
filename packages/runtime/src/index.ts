export { ActorPool, ActorPoolError, ActorPoolTimeoutError } from './client/actor-pool.js';
export { cancel, type WaitOptions, wait } from './client/calls.js';
export { callSignal, exitActor } from './client/context.js';
export { registerErrorClass } from './client/error-classes.js';
export { transfer } from './client/transfer.js';
export { actor } from './decorators/actor.js';
export { method, perThread } from './decorators/method.js';
export {
  ActorDefinitionError,
  ActorDiedError,
  ActorNotFoundError,
  CancelledError,
  PendingCallsLimitError,
  RemoteError,
  SerializationError,
  TimeoutError,
  TroupeError,
  UnknownMethodError,
} from './errors.js';
export type {
  ActorKind,
  ActorOptions,
  CallOptions,
  CompiledActorInfo,
  MethodOptions,
  SpawnOptions,
} from './options.js';
export { sharedArray } from './shared/array.js';
export { SharedCounter } from './shared/counter.js';
export { Mutex } from './shared/mutex.js';
export { SharedPrimitive } from './shared/primitive.js';
export { kill, type ShutdownOptions, shutdown } from './supervisor/lifecycle.js';
export type { ActorSummary } from './supervisor/record.js';
export { listActors } from './supervisor/registry.js';
export { getActor, spawn } from './supervisor/spawn.js';
export type { ActorClass, ActorHandle, MethodKeys, RemoteMethod } from './types.js';
