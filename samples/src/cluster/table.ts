import { formatMs } from '../common/measure.js';
import type { ClusterReport } from './report.js';

/** Lines of a table: a header, a rule, then the rows; `left` names the left-aligned columns. */
function render(columns: string[], rows: string[][], left: ReadonlySet<string>): string[] {
  const widths = columns.map((name, c) =>
    Math.max(name.length, ...rows.map((row) => (row[c] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => {
        const width = widths[c] ?? 0;
        return left.has(columns[c] ?? '') ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(columns), rule, ...rows.map(line)];
}

const NODE_COLUMNS = [
  'node',
  'sample',
  'kind',
  'actor',
  'incarnation',
  'limit',
  'calls',
  'time',
  'creation',
];
const SUMMARY_COLUMNS = ['sample', 'kind', 'nodes', 'limit', 'calls', 'time', 'ideal', 'creation'];
const LEFT = new Set(['node', 'sample', 'kind', 'actor']);

/**
 * A table per node (the actor it hosted for each sample and kind, the calls it ran, and the time
 * from the first call to its last result), then the runs as a whole and the notes.
 */
export function renderClusterTables(report: ClusterReport): string {
  const out: string[] = [];
  for (const node of report.nodes) {
    out.push(`node ${node.id}: pid ${node.pid} on ${node.host}, ${node.threads} threads`);
    const rows = report.runs.flatMap((run, i) =>
      run.shares
        .filter((share) => share.node === node.id)
        .map((share) => [
          node.id,
          i === 0 || report.runs[i - 1]?.sample !== run.sample ? run.sample : '',
          run.kind,
          share.actor,
          String(share.incarnation),
          String(run.maxConcurrency),
          String(share.calls.length),
          formatMs(share.timeMs),
          formatMs(share.creationMs),
        ]),
    );
    out.push(...render(NODE_COLUMNS, rows, LEFT), '');
  }
  out.push(`all ${report.nodes.length} nodes: from the first call to the last result`);
  const rows = report.runs.map((run, i) => [
    i === 0 || report.runs[i - 1]?.sample !== run.sample ? run.sample : '',
    run.kind,
    String(run.shares.length),
    String(run.maxConcurrency),
    String(run.calls),
    formatMs(run.timeMs),
    run.idealMs === undefined ? '—' : formatMs(run.idealMs),
    formatMs(run.creationMs),
  ]);
  out.push(...render(SUMMARY_COLUMNS, rows, LEFT), '');
  out.push(...report.notes.map((note) => `  ${note}`));
  return out.join('\n');
}
