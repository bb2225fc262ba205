export { registerErrorClass } from './client/error-classes.js';
export { transfer } from './client/transfer.js';
export { actor } from './decorators/actor.js';
export { method, perThread } from './decorators/method.js';
export {
  ActorDefinitionError,
  ActorDiedError,
  RemoteError,
  SerializationError,
  TroupeError,
  UnknownMethodError,
} from './errors.js';
export type {
  ActorKind,
  ActorOptions,
  CompiledActorInfo,
  MethodOptions,
  SpawnOptions,
} from './options.js';
export { sharedArray } from './shared/array.js';
export { SharedCounter } from './shared/counter.js';
export { Mutex } from './shared/mutex.js';
export { SharedPrimitive } from './shared/primitive.js';
export { kill, shutdown } from './supervisor/lifecycle.js';
export type { ActorSummary } from './supervisor/record.js';
export { listActors } from './supervisor/registry.js';
export { spawn } from './supervisor/spawn.js';
export type { ActorClass, ActorHandle, MethodKeys, RemoteMethod } from './types.js';
