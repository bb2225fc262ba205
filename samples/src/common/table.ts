import { formatMs } from './measure.js';
import { type SampleReport, speedupOf } from './report.js';

const COLUMNS = [
  'sample',
  'kind',
  'limit',
  'time',
  'speedup',
  'ideal',
  'time/ideal',
  'peak',
  'creation',
];
const LEFT_ALIGNED = new Set(['sample', 'kind']);

/** One row per sample and kind; the notes of each sample follow the table. */
export function renderTable(reports: SampleReport[]): string {
  const rows = reports.flatMap((report) =>
    report.runs.map((run, i) => [
      i === 0 ? report.sample : '',
      run.kind,
      String(run.maxConcurrency),
      formatMs(run.timeMs),
      `${speedupOf(report, run).toFixed(1)}×`,
      formatMs(run.idealMs),
      (run.timeMs / run.idealMs).toFixed(2),
      String(run.peakInFlight),
      formatMs(run.creationMs),
    ]),
  );
  const widths = COLUMNS.map((name, c) => Math.max(name.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) =>
        LEFT_ALIGNED.has(COLUMNS[c]) ? cell.padEnd(widths[c]) : cell.padStart(widths[c]),
      )
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const notes = reports.flatMap((r) => r.notes.map((n) => `  ${r.sample}: ${n}`));
  return [line(COLUMNS), rule, ...rows.map(line), '', ...notes].join('\n');
}
