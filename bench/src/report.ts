import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Figure } from './figures.js';
import type { Settings } from './harness.js';

export interface Machine {
  label: string;
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
  /** The commit measured, `+dirty` when the tree had changes; unknown without git. */
  commit: string;
  /** 1-minute load average when the run began and ended: other work on a shared machine. */
  loadAverage: { start: number; end: number };
}

export interface Results {
  machine: Machine;
  settings: Settings & { groups: string[] };
  durationS: number;
  figures: Figure[];
}

export function machine(label: string, loadAtStart: number): Machine {
  return {
    label,
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch} ${os.release()}`,
    date: new Date().toISOString(),
    commit: commit(),
    loadAverage: { start: loadAtStart, end: os.loadavg()[0] },
  };
}

function commit(): string {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain') ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** Writes results.json and RESULTS.md into `dir`, and returns the markdown. */
export async function writeResults(dir: string, results: Results): Promise<string> {
  await mkdir(dir, { recursive: true });
  const markdown = toMarkdown(results);
  await writeFile(path.join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(path.join(dir, 'RESULTS.md'), markdown);
  return markdown;
}

export function toMarkdown({ machine: m, settings: s, durationS, figures }: Results): string {
  const lines = [
    `# Troupe benchmark results: ${m.label}`,
    '',
    `- machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform}`,
    `- Node ${m.node}, commit ${m.commit}, ${m.date}; 1-minute load average ${m.loadAverage.start.toFixed(1)} at the start, ${m.loadAverage.end.toFixed(1)} at the end`,
    `- run: ${s.quick ? '--quick' : 'full'}, groups ${s.groups.join(', ')}; ${s.rounds} rounds after ${s.warmup} warm-up, contenders interleaved round by round; took ${durationS.toFixed(0)} s`,
    '',
    'Each figure is the median of its rounds, spread min–max. The ratio compares that median with',
    'the baseline measured in the same run; in brackets, the lowest and highest per-round ratio.',
  ];
  for (const group of [...new Set(figures.map((f) => f.group))]) {
    lines.push(
      '',
      `## ${group}`,
      '',
      '| figure | median | spread | baseline | ratio | target | met | note |',
      '|---|---:|---:|---|---:|---|---|---|',
    );
    for (const f of figures.filter((x) => x.group === group)) lines.push(row(f));
  }
  return `${lines.join('\n')}\n`;
}

function row(f: Figure): string {
  if (f.error || !f.stats) {
    return `| ${f.name} | error | | | | | | ${escapeCell(f.error ?? 'no result')} |`;
  }
  const { median, min, max } = f.stats;
  const cells = [
    f.name,
    `${num(median)} ${f.unit}`,
    `${num(min)}–${num(max)}`,
    f.baseline ? `${f.baseline.name}: ${num(f.baseline.median)} ${f.baseline.unit}` : '',
    f.ratio === undefined
      ? ''
      : `${f.ratio.toFixed(2)} ${f.ratioLabel ?? ''}${f.ratioSpread ? ` (${f.ratioSpread.map((r) => r.toFixed(2)).join('–')})` : ''}`,
    f.target?.text ?? '',
    f.target ? (f.target.met ? 'yes' : '**no**') : '',
    f.note ?? '',
  ];
  return `| ${cells.map(escapeCell).join(' | ')} |`;
}

function num(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1000) return Math.round(n).toLocaleString('en-US');
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function escapeCell(cell: string): string {
  return cell.replaceAll('|', '\\|').replaceAll('\n', ' ');
}
