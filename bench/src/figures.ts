/** Result rows: a figure, its baseline from the same run, the ratio between them, the target. */
import { describe, type Outcome } from './harness.js';
import type { Stats } from './stats.js';

export interface Target {
  text: string;
  met: boolean;
}

/** One row of the results: a measured figure, its baseline from the same run, and the target. */
export interface Figure {
  group: string;
  name: string;
  unit: string;
  stats?: Stats;
  baseline?: { name: string; median: number; unit: string };
  /** What `ratio` means, e.g. 'x echo' or 'speedup'. */
  ratioLabel?: string;
  ratio?: number;
  /** The ratio's spread over the rounds, each round paired with the baseline's same round. */
  ratioSpread?: [number, number];
  target?: Target;
  note?: string;
  error?: string;
}

export interface FigureSpec {
  group: string;
  name: string;
  unit: string;
  outcome: Outcome | undefined;
  metric: string;
  baseline?: { name: string; outcome: Outcome | undefined; metric?: string };
  /** A fixed baseline (an ideal), when there is no measured one. */
  ideal?: { name: string; value: number };
  ratioLabel?: string;
  /** 'inverse' gives baseline / value (a speedup); the default gives value / baseline. */
  ratioOf?: 'value' | 'inverse';
  target?: { text: string; test: (ratio: number) => boolean };
  note?: string;
}

/** Builds a result row: picks the metric out of the outcomes and computes the ratio and target. */
export function figure(spec: FigureSpec): Figure {
  const { group, name, unit, note } = spec;
  const own = pick(spec.outcome, spec.metric);
  if ('error' in own) return { group, name, unit, note, error: own.error };
  const row: Figure = { group, name, unit, stats: own.stats, note };
  let base: Stats | undefined;
  if (spec.baseline) {
    const picked = pick(spec.baseline.outcome, spec.baseline.metric ?? spec.metric);
    if ('error' in picked) {
      row.error = `baseline ${spec.baseline.name} failed: ${picked.error}`;
      return row;
    }
    base = picked.stats;
    row.baseline = { name: spec.baseline.name, median: base.median, unit };
  } else if (spec.ideal) {
    const v = spec.ideal.value;
    base = { median: v, min: v, max: v, q1: v, q3: v, rounds: 0, samples: [] };
    row.baseline = { name: spec.ideal.name, median: v, unit };
  }
  if (base) {
    const inverse = spec.ratioOf === 'inverse';
    const ratioOf = (v: number, b: number): number => (inverse ? b / v : v / b);
    row.ratio = ratioOf(own.stats.median, base.median);
    row.ratioLabel = spec.ratioLabel;
    const paired = own.stats.samples.map((v, i) =>
      ratioOf(v, base.samples.length > 0 ? (base.samples[i] ?? base.median) : base.median),
    );
    row.ratioSpread = [Math.min(...paired), Math.max(...paired)];
    if (spec.target) row.target = { text: spec.target.text, met: spec.target.test(row.ratio) };
  }
  return row;
}

function pick(outcome: Outcome | undefined, metric: string): { stats: Stats } | { error: string } {
  if (!outcome) return { error: 'not measured' };
  if ('error' in outcome) return outcome;
  const s = outcome.stats[metric];
  return s ? { stats: s } : { error: `no samples for ${metric}` };
}

export function errorRow(group: string, name: string, error: unknown): Figure {
  return { group, name, unit: '', error: describe(error) };
}
