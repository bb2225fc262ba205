import { KINDS, type Kind } from './kinds.js';
import { formatMs } from './measure.js';
import { type ShowcaseReport, speedupOf } from './report.js';

const COLORS: Record<Kind, string> = { serial: '#8c96a3', async: '#4e79a7', threaded: '#f28e2b' };
const WIDTH = 900;
const HEIGHT = 480;
const MARGIN = { left: 64, right: 24, top: 96, bottom: 72 };
const BAR = 56;
const BAR_GAP = 8;

/**
 * A grouped bar chart of the run times, one group per sample and one bar per kind, like the seed's
 * figure. Every bar carries its time and speedup and the dashed line marks the ideal bound, so the
 * chart reads without the table.
 */
export function renderChart(report: ShowcaseReport): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const maxMs = Math.max(1, ...report.samples.flatMap((s) => s.runs.map((r) => r.timeMs)));
  const step = niceStep(maxMs / 5);
  const top = Math.ceil(maxMs / step) * step;
  const y = (ms: number) => MARGIN.top + plotH - (ms / top) * plotH;
  const groupW = plotW / Math.max(1, report.samples.length);
  const parts: string[] = [];

  for (let tick = 0; tick <= top + 1e-9; tick += step) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e3e6ea"/>`,
      `<text x="${MARGIN.left - 8}" y="${y(tick) + 4}" text-anchor="end" class="axis">${axisLabel(tick, step)}</text>`,
    );
  }

  report.samples.forEach((sample, g) => {
    const groupX = MARGIN.left + g * groupW;
    const barsW = sample.runs.length * BAR + (sample.runs.length - 1) * BAR_GAP;
    const firstX = groupX + (groupW - barsW) / 2;
    sample.runs.forEach((run, b) => {
      const x = firstX + b * (BAR + BAR_GAP);
      const barTop = y(run.timeMs);
      const height = Math.max(1, MARGIN.top + plotH - barTop);
      const mid = x + BAR / 2;
      const idealY = y(run.idealMs);
      parts.push(
        `<rect x="${x}" y="${MARGIN.top + plotH - height}" width="${BAR}" height="${height}" fill="${COLORS[run.kind]}"><title>${sample.sample} ${run.kind}: ${formatMs(run.timeMs)}</title></rect>`,
        `<line x1="${x - 3}" x2="${x + BAR + 3}" y1="${idealY}" y2="${idealY}" stroke="#222" stroke-dasharray="4 3"/>`,
        `<text x="${mid}" y="${Math.min(barTop, idealY) - 18}" text-anchor="middle" class="value">${formatMs(run.timeMs)}</text>`,
        `<text x="${mid}" y="${Math.min(barTop, idealY) - 5}" text-anchor="middle" class="speedup">${speedupOf(sample, run).toFixed(1)}×</text>`,
      );
    });
    parts.push(
      `<text x="${groupX + groupW / 2}" y="${MARGIN.top + plotH + 22}" text-anchor="middle" class="group">${escapeXml(sample.sample)}</text>`,
      `<text x="${groupX + groupW / 2}" y="${MARGIN.top + plotH + 40}" text-anchor="middle" class="caption">${escapeXml(sample.title)}</text>`,
    );
  });

  const legend = KINDS.map(
    (kind, i) =>
      `<rect x="${MARGIN.left + i * 120}" y="58" width="14" height="14" fill="${COLORS[kind]}"/><text x="${MARGIN.left + i * 120 + 20}" y="70" class="legend">${kind}</text>`,
  );
  const m = report.machine;
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif">
<style>
.title{font-size:18px;font-weight:bold;fill:#222}.subtitle{font-size:12px;fill:#555}
.axis{font-size:11px;fill:#555}.value{font-size:12px;font-weight:bold;fill:#222}
.speedup{font-size:11px;fill:#555}.group{font-size:14px;font-weight:bold;fill:#222}
.caption{font-size:11px;fill:#555}.legend{font-size:13px;fill:#222}
</style>
<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>
<text x="${MARGIN.left}" y="28" class="title">Troupe: the same calls on serial, async and threaded actors (lower is better)</text>
<text x="${MARGIN.left}" y="46" class="subtitle">${m.cpus} cores · Node ${escapeXml(m.node)} · ${escapeXml(m.platform)}-${escapeXml(m.arch)} · load ${m.loadAverage.toFixed(1)} · ${escapeXml(report.generatedAt)} · bar label: time and speedup over serial</text>
${legend.join('\n')}
<line x1="${MARGIN.left + 360}" x2="${MARGIN.left + 390}" y1="65" y2="65" stroke="#222" stroke-dasharray="4 3"/><text x="${MARGIN.left + 396}" y="70" class="legend">ideal bound</text>
${parts.join('\n')}
<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH}" stroke="#555"/>
</svg>
`;
}

/** Round seconds on a long axis (`2 s`), milliseconds on a short one (`250 ms`). */
function axisLabel(ms: number, step: number): string {
  if (step < 100) return `${ms} ms`;
  return `${(ms / 1000).toFixed(step >= 1000 ? 0 : 1)} s`;
}

/** 1, 2 or 5 times a power of ten: grid lines at round times. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
