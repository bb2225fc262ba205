import type { Kind } from './kinds.js';

/** One sample run on one kind of actor. Times are milliseconds. */
export interface KindRun {
  kind: Kind;
  /** The limit the actor ran under: 1 for serial, threads for threaded. */
  maxConcurrency: number;
  calls: number;
  /** From the first call to the last result, after the actor is ready. */
  timeMs: number;
  /** From `spawn` until `ready()` resolved: workers, replicas, connections. */
  creationMs: number;
  /** The best this kind could do on this machine (see each sample's `ideal`). */
  idealMs: number;
  /** Most calls seen running at once, counted inside the actor in shared memory. */
  peakInFlight: number;
  /** Fingerprint of the results: equal across kinds when they computed the same thing. */
  digest: string;
}

/** A sample's runs on the three kinds, with what was checked and what a reader should know. */
export interface SampleReport {
  sample: string;
  title: string;
  runs: KindRun[];
  /** Short facts printed under the table: what the ideal means, what the sample cost. */
  notes: string[];
}

export interface ShowcaseReport {
  generatedAt: string;
  machine: {
    cpus: number;
    node: string;
    platform: string;
    arch: string;
    /** One-minute load average when the run started: above 0 means others shared the cores. */
    loadAverage: number;
  };
  options: Record<string, unknown>;
  samples: SampleReport[];
}

export function speedupOf(report: SampleReport, run: KindRun): number {
  const serial = report.runs.find((r) => r.kind === 'serial');
  return serial ? serial.timeMs / run.timeMs : Number.NaN;
}
