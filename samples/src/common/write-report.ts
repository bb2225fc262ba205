import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, platform } from 'node:os';
import { join } from 'node:path';
import { renderChart } from './chart.js';
import type { SampleReport, ShowcaseReport } from './report.js';

/** Writes `report.json` and `report.svg` to `outDir` and returns their paths. */
export function writeReport(
  outDir: string,
  samples: SampleReport[],
  options: Record<string, unknown>,
  loadAverage = 0,
): { json: string; svg: string } {
  const report: ShowcaseReport = {
    generatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: {
      cpus: availableParallelism(),
      node: process.version,
      platform: platform(),
      arch: arch(),
      loadAverage,
    },
    options,
    samples,
  };
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'report.json');
  const svg = join(outDir, 'report.svg');
  // Hundredths of a millisecond are plenty; the raw doubles only make the file hard to read.
  const rounded = (_key: string, value: unknown) =>
    typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 100) / 100 : value;
  writeFileSync(json, `${JSON.stringify(report, rounded, 2)}\n`);
  writeFileSync(svg, renderChart(report));
  return { json, svg };
}
