/**
 * `timelineSvg()`: a picture of the timeline, one row per actor track, each call a bar, for a
 * report or a README. Self-contained SVG: no script, no font or stylesheet to fetch.
 */
import { type TraceEvent, timeline } from './timeline.js';

const COLORS: Record<string, string> = {
  serial: '#2563eb',
  async: '#059669',
  threaded: '#d97706',
};

function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Options of `timelineSvg`. */
export interface TimelineSvgOptions {
  /** Width of the picture in px. @default 900 */
  width?: number;
  /** A title above the tracks. */
  title?: string;
}

/**
 * Draws trace events (the calls `timeline()` recorded, by default) as an SVG: one row per
 * actor track (a serial actor's one, a threaded actor's threads, an async actor's lanes), each
 * call a bar from its start to its end, coloured by the actor's kind, failed calls in red.
 */
export function timelineSvg(
  events: TraceEvent[] = timeline(),
  options: TimelineSvgOptions = {},
): string {
  const width = options.width ?? 900;
  const label = 190;
  const rowHeight = 18;
  const top = options.title === undefined ? 8 : 30;
  const names = new Map<number, string>();
  const trackNames = new Map<string, string>();
  for (const e of events) {
    if (e.ph !== 'M') continue;
    if (e.name === 'process_name') names.set(e.pid, String(e.args?.name ?? e.pid));
    if (e.name === 'thread_name')
      trackNames.set(`${e.pid}/${e.tid}`, String(e.args?.name ?? e.tid));
  }
  const calls = events.filter((e) => e.ph === 'X' && e.ts !== undefined && e.dur !== undefined);
  const rows = [...new Set(calls.map((e) => `${e.pid}/${e.tid}`))].sort((a, b) => {
    const [pa, ta] = a.split('/').map(Number) as [number, number];
    const [pb, tb] = b.split('/').map(Number) as [number, number];
    return pa - pb || ta - tb;
  });
  const start = Math.min(...calls.map((e) => e.ts as number));
  const end = Math.max(...calls.map((e) => (e.ts as number) + (e.dur as number)));
  const span = Math.max(1, end - start);
  const x = (ts: number) => label + ((ts - start) / span) * (width - label - 10);
  const height = top + rows.length * rowHeight + 34;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11" role="img">`,
    `<title>${escapeXml(options.title ?? 'Timeline of calls per actor and track')}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
  ];
  if (options.title !== undefined) {
    out.push(
      `<text x="8" y="18" font-size="14" font-weight="600" fill="#1d2330">${escapeXml(options.title)}</text>`,
    );
  }
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    const [pid] = row.split('/').map(Number) as [number];
    const actor = (names.get(pid) ?? String(pid)).replace(/ \(.*\)$/, '');
    const track = trackNames.get(row) ?? '';
    if (i % 2 === 0)
      out.push(`<rect x="0" y="${y}" width="${width}" height="${rowHeight}" fill="#f6f7f9"/>`);
    out.push(`<text x="8" y="${y + 13}" fill="#374151">${escapeXml(`${actor}  ${track}`)}</text>`);
  });
  const rowOf = new Map(rows.map((row, i) => [row, i]));
  for (const e of calls) {
    const i = rowOf.get(`${e.pid}/${e.tid}`) ?? 0;
    const x0 = x(e.ts as number);
    const w = Math.max(1, x((e.ts as number) + (e.dur as number)) - x0);
    const fill = e.args?.outcome === 'error' ? '#dc2626' : (COLORS[e.cat ?? ''] ?? '#6b7280');
    const tip = `${e.name} #${e.args?.callId}: ${((e.dur as number) / 1000).toFixed(2)} ms`;
    out.push(
      `<rect x="${x0.toFixed(1)}" y="${top + i * rowHeight + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" rx="2" fill="${fill}" stroke="#fff" stroke-width="0.5"><title>${escapeXml(tip)}</title></rect>`,
    );
  }
  const axisY = top + rows.length * rowHeight + 14;
  const step = niceStep(span / 6);
  for (let t = 0; t <= span; t += step) {
    out.push(
      `<line x1="${x(start + t).toFixed(1)}" x2="${x(start + t).toFixed(1)}" y1="${top}" y2="${axisY - 8}" stroke="#e5e7eb"/>`,
      `<text x="${x(start + t).toFixed(1)}" y="${axisY + 4}" text-anchor="middle" fill="#6b7280">${formatUs(t)}</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function formatUs(us: number): string {
  if (us === 0) return '0';
  if (us >= 1_000_000) return `${(us / 1_000_000).toFixed(us % 1_000_000 === 0 ? 0 : 1)} s`;
  if (us >= 1000) return `${(us / 1000).toFixed(us % 1000 === 0 ? 0 : 1)} ms`;
  return `${us} µs`;
}
