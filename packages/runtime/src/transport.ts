/**
 * `@troupe/runtime/transport`: the seam through which actors are reached and hosted, for
 * transports other than a MessagePort between threads (actors in other processes, on other
 * machines). Handles, calls, retries, `wait`, streams and ActorPool reach an actor through an
 * `ActorRef`; a `Connection` is the `ActorRef` over any `Transport` that carries the messages of
 * the protocol in order. On the serving side, `serveActor` hosts an actor on a `Transport`, and a
 * `HostLauncher` decides where the actors this thread spawns are hosted.
 *
 * @example
 * import { useHostLauncher, serveActor } from '@troupe/runtime/transport';
 * useHostLauncher({ launch(init, transfers) { … return an ActorHost … } });
 */
export type { Call, CallExtras, RetryBudget } from './caller/call.js';
export { Connection } from './caller/connection.js';
export {
  createHandle as handleFor,
  describeRef,
  refOf,
  reviveRef,
} from './caller/handle.js';
export { type ActorRef, CancelOutcome } from './caller/ref.js';
export { definitionOf } from './decorators/definition.js';
export { type HostHooks, type HostPhase, serveActor } from './host/serve.js';
export { ForwardingTarget } from './supervisor/forward.js';
export {
  type ActorHost,
  type HostLaunch,
  type HostLauncher,
  useHostLauncher,
  workerLauncher,
} from './supervisor/host-worker.js';
export { type NameDirectory, nameKey, useNameDirectory } from './supervisor/names.js';
export { ownedRecord } from './supervisor/owned.js';
export {
  type PlacementRequest,
  type SpawnPlacer,
  useSpawnPlacer,
} from './supervisor/placement.js';
export { useFence } from './supervisor/plan.js';
export type { ActorRecord, ActorSummary } from './supervisor/record.js';
export { callIdRange, forEachResult, oneResult } from './wire/batch.js';
export { decodeDeep as decodeValue, encodeDeep as encodeValue } from './wire/codec.js';
export { Endpoint, unsendableError } from './wire/endpoint.js';
export type {
  ActorInfo,
  CallMeta,
  CallsBatch,
  CallTarget,
  ControlMessage,
  FromHost,
  HandleDescriptor,
  HostInit,
  Message,
  ResultsBatch,
  SerializedError,
  SerializedResultsMessage,
  SharedDescriptor,
  ToHost,
} from './wire/protocol.js';
export { isStreamItem, Op, Status } from './wire/protocol.js';
export { RelayedCalls } from './wire/relay.js';
export { deserializeResults } from './wire/serialized.js';
export { PortTransport, type Transport } from './wire/transport.js';
