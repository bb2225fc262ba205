import { registerErrorClass, TroupeError } from '@troupe/runtime';

/**
 * The cluster's registry (its JetStream key-value store) cannot be reached or written: no
 * JetStream, or no quorum among the NATS servers. Run three or more NATS servers in production.
 */
export class ClusterUnavailableError extends TroupeError {
  override name = 'ClusterUnavailableError';
}

// A spawn that failed answers its calls as an actor would: the error keeps its class on the way.
registerErrorClass(ClusterUnavailableError);
