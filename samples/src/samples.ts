import type { SampleOptions } from './common/options.js';
import type { SampleReport } from './common/report.js';
import { runCompute } from './compute/run.js';
import { runFlags } from './flags/run.js';
import { runSleep } from './sleep/run.js';
import { runSqlite } from './sqlite/run.js';

/** Every sample, in the order the showcase runs them. */
export const SAMPLES: Record<string, (options: SampleOptions) => Promise<SampleReport>> = {
  flags: runFlags,
  sleep: runSleep,
  sqlite: runSqlite,
  compute: runCompute,
};
