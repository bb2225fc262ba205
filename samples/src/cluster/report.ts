import type { Kind } from '../common/kinds.js';
import type { NodeShare } from './spread.js';

/** One sample on one kind of actor, with an actor of that kind on every node. */
export interface ClusterRun {
  sample: string;
  kind: Kind;
  /** Each actor's limit: 1 for serial, threads for threaded. */
  maxConcurrency: number;
  calls: number;
  /** From the first call to the last result, on any node (ms). */
  timeMs: number;
  /** From the spawns until every node's actor was ready (ms). */
  creationMs: number;
  /** The best these actors could do (ms), where the sample can say; see the notes. */
  idealMs?: number;
  /** Fingerprint of the results in call order: equal to the single-process run's. */
  digest: string;
  shares: NodeShare[];
}

/** A node as the demo found it in `listNodes()`. */
export interface DemoNode {
  id: string;
  pid: number;
  host: string;
  threads: number;
}

/** What `out/cluster-report.json` holds. */
export interface ClusterReport {
  generatedAt: string;
  nats: { url: string; startedHere: boolean };
  /** PIDs of the processes the demo started (and ended). */
  started: { what: string; pid: number }[];
  nodes: DemoNode[];
  runs: ClusterRun[];
  notes: string[];
}
