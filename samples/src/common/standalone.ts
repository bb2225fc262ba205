import { shutdown } from '@troupe/runtime';
import { HelpRequested, parseCli } from './cli.js';
import { describeError } from './describe-error.js';
import { DEFAULT_OUT_DIR, type SampleOptions } from './options.js';
import { progressFor, SilentProgress } from './progress.js';
import type { SampleReport } from './report.js';
import { renderTable } from './table.js';

/**
 * Runs a sample command: `--help` prints the usage, an error is described and sets the exit
 * code, and the actors are shut down either way.
 */
export async function runCommand(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof HelpRequested) {
      console.log(error.message);
    } else {
      console.error(describeError(error));
      process.exitCode = 1;
    }
  } finally {
    await shutdown();
  }
}

/** Runs one sample from its own `run.js`, with the showcase's flags, and prints its table. */
export async function runStandalone(
  sample: string,
  run: (options: SampleOptions) => Promise<SampleReport>,
): Promise<void> {
  await runCommand(async () => {
    const cli = parseCli(process.argv.slice(2), [sample]);
    const report = await run({
      quick: cli.quick,
      latencyMs: cli.latencyMs,
      progress: cli.progress ? progressFor() : new SilentProgress(),
      outDir: DEFAULT_OUT_DIR,
    });
    console.log(`\n${renderTable([report])}`);
  });
}
