/**
 * `npm start`: runs the samples on serial, async and threaded actors, then prints one table and
 * writes out/report.json, out/report.svg and out/timeline.svg (the first sample's calls, per actor
 * and track). Flags: see `USAGE` (`npm start -- --help`); `--dashboard` serves the live page.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { configure, type Dashboard, serveDashboard, timelineSvg } from '@troupe/runtime';
import { parseCli } from './common/cli.js';
import { formatMs } from './common/measure.js';
import { DEFAULT_OUT_DIR } from './common/options.js';
import { progressFor, SilentProgress } from './common/progress.js';
import type { SampleReport } from './common/report.js';
import { runCommand } from './common/standalone.js';
import { renderTable } from './common/table.js';
import { writeReport } from './common/write-report.js';
import { SAMPLES } from './samples.js';

/** Samples whose speedups need idle cores, unlike waiting on sleeps or a server. */
const CPU_BOUND = ['sqlite', 'compute'];

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2), Object.keys(SAMPLES));
  const names = cli.only.length > 0 ? cli.only : Object.keys(SAMPLES);
  const progress = cli.progress ? progressFor() : new SilentProgress();
  const [loadAverage] = loadavg();
  const startedAt = performance.now();
  let dashboard: Dashboard | undefined;
  if (cli.dashboard) {
    dashboard = await serveDashboard({ port: 0 });
    console.log(`dashboard: ${dashboard.url} (open while the showcase runs)`);
  }
  const reports: SampleReport[] = [];
  for (const [i, name] of names.entries()) {
    // The first sample's calls are recorded for the timeline picture; the rest run unobserved,
    // so that recording costs none of their figures.
    configure({ timeline: i === 0 });
    reports.push(
      await SAMPLES[name]({
        quick: cli.quick,
        latencyMs: cli.latencyMs,
        progress,
        outDir: DEFAULT_OUT_DIR,
      }),
    );
  }
  configure({ timeline: false });
  mkdirSync(DEFAULT_OUT_DIR, { recursive: true });
  const timelinePath = join(DEFAULT_OUT_DIR, 'timeline.svg');
  writeFileSync(
    timelinePath,
    timelineSvg(undefined, { title: `${names[0]}: every call per actor and track` }),
  );
  await dashboard?.close();
  const written = writeReport(DEFAULT_OUT_DIR, reports, { ...cli, samples: names }, loadAverage);
  console.log(`\n${renderTable(reports)}\n`);
  const cpuBound = names.filter((name) => CPU_BOUND.includes(name));
  // A quarter of the cores busy elsewhere is enough to bend a CPU-bound speedup visibly.
  if (loadAverage > availableParallelism() / 4 && cpuBound.length > 0) {
    // Other processes took CPU time the threads needed; say so rather than let the table mislead.
    console.log(
      `note: load average ${loadAverage.toFixed(1)} on ${availableParallelism()} cores when the run started: other processes shared the CPUs, so the CPU-bound rows (${cpuBound.join(', ')}) understate what threads buy.`,
    );
  }
  console.log(
    `report: ${relative(process.cwd(), written.json)}, chart: ${relative(process.cwd(), written.svg)}, timeline: ${relative(process.cwd(), timelinePath)} (all samples in ${formatMs(performance.now() - startedAt)})`,
  );
}

await runCommand(main);
