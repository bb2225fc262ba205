import { fileURLToPath } from 'node:url';
import type { Progress } from './progress.js';

/** What every sample's `run` accepts; the showcase and each `run.js` fill it from the command line. */
export interface SampleOptions {
  /** Small sizes for tests and smoke runs: about ten seconds for all four samples. */
  quick: boolean;
  progress: Progress;
  /** Where downloads and the report go. */
  outDir: string;
  /** Where generated data (the SQLite registry) is cached between runs; `out/data` by default. */
  dataDir?: string;
  /** Flag server delay per response; the default reproduces the seed's 5 s serial run. */
  latencyMs?: number;
  /**
   * For tests: every call waits inside the actor (the flag server, for flags) until as many calls
   * are in flight as the actor's limit allows, so the peak the tests check does not depend on how
   * busy the cores are. The times are then meaningless; `npm start` never sets it.
   */
  barrier?: boolean;
}

/** The barrier size a run of an actor with this limit asks for, when the options want one. */
export function barrierFor(options: SampleOptions, limit: number): number | undefined {
  return options.barrier ? limit : undefined;
}

/** `out/` at the repository root, wherever the command was started from. */
export const DEFAULT_OUT_DIR = fileURLToPath(new URL('../../../out/', import.meta.url));

/** `out/data/`: git ignores it, and a fresh clone generates it on the first run. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../../out/data/', import.meta.url));
