/**
 * `@troupe/cluster`: the same actors on many machines, over NATS. `connect()` joins a cluster;
 * `troupe-node` hosts actors on a machine; `spawn`, handles, names, streams and cancels work as
 * in one process.
 */
export type { ConnectOptions } from './cluster.js';
export {
  connect,
  disconnect,
  getActorAsync,
  listNodes,
  type NodeSummary,
} from './connect.js';
export { ClusterUnavailableError } from './errors.js';
