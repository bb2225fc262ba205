/**
 * The dashboard's one page: HTML, CSS and script inline, nothing fetched but its own server's
 * events, so it works offline and needs no build step.
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Troupe</title>
<style>
  :root { color-scheme: light dark; --fg: #1d2330; --muted: #6b7280; --line: #e5e7eb; --bg: #fff;
    --serial: #2563eb; --async: #059669; --threaded: #d97706; --error: #dc2626; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e5e7eb; --muted: #9ca3af; --line: #374151; --bg: #111827; } }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: var(--fg); background: var(--bg); }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 24px 0 8px; }
  #status { color: var(--muted); font-size: 12px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: right; padding: 4px 10px; border-bottom: 1px solid var(--line); font-variant-numeric: tabular-nums; }
  th:first-child, td:first-child, th.text, td.text { text-align: left; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; }
  .kind { display: inline-block; padding: 0 6px; border-radius: 8px; color: #fff; font-size: 11px; }
  .kind.serial { background: var(--serial); } .kind.async { background: var(--async); } .kind.threaded { background: var(--threaded); }
  .empty { color: var(--muted); }
  svg text { fill: var(--muted); font-size: 11px; }
</style>
</head>
<body>
<h1>Troupe</h1>
<div id="status">connecting…</div>
<h2>Actors</h2>
<table id="actors"><thead><tr><th>name</th><th class="text">class</th><th class="text">kind</th><th>threads</th>
<th>queued</th><th>running</th><th>done</th><th>failed</th><th>restarts</th></tr></thead><tbody></tbody></table>
<h2>Methods</h2>
<table id="methods"><thead><tr><th>actor</th><th class="text">method</th><th>ok</th><th>error</th>
<th>cancelled</th><th>run p50</th><th>run p90</th><th>run p99</th><th>queue p99</th></tr></thead><tbody></tbody></table>
<h2>Recent calls <span id="window" class="empty"></span></h2>
<svg id="strip" width="100%" height="40" role="img" aria-label="recent calls per actor and track"></svg>
<script>
const kinds = { serial: 'var(--serial)', async: 'var(--async)', threaded: 'var(--threaded)' };
function cell(text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; }
function time(s) {
  if (!s) return '–';
  if (s <= 0.00001) return '≤ 10 µs';
  if (s < 0.001) return (s * 1e6).toFixed(0) + ' µs';
  if (s < 1) return (s * 1e3).toFixed(1) + ' ms';
  return s.toFixed(2) + ' s';
}
function fill(tbody, rows, empty, columns) {
  tbody.replaceChildren();
  if (rows.length === 0) {
    const tr = document.createElement('tr'); const td = cell(empty, 'empty');
    td.colSpan = columns; tr.append(td); tbody.append(tr); return;
  }
  for (const row of rows) tbody.append(row);
}
function render(snapshot) {
  document.getElementById('status').textContent =
    snapshot.actors.length + ' live actors · updated ' + new Date(snapshot.at).toLocaleTimeString();
  fill(document.querySelector('#actors tbody'), snapshot.actors.map((a) => {
    const tr = document.createElement('tr'); tr.dataset.actor = a.name;
    const kind = document.createElement('td'); kind.className = 'text';
    const badge = document.createElement('span'); badge.className = 'kind ' + a.kind; badge.textContent = a.kind; kind.append(badge);
    tr.append(cell(a.name, 'name'), cell(a.class, 'class text'), kind, cell(a.threads, 'threads'), cell(a.queued, 'queued'),
      cell(a.running, 'running'), cell(a.done, 'done'), cell(a.failed, 'failed'), cell(a.restarts, 'restarts'));
    return tr;
  }), 'no live actors', 9);
  fill(document.querySelector('#methods tbody'), snapshot.methods.map((m) => {
    const tr = document.createElement('tr'); tr.dataset.method = m.actor + '.' + m.method;
    tr.append(cell(m.actor), cell(m.method, 'text'), cell(m.ok, 'ok'), cell(m.error, 'error'), cell(m.cancelled),
      cell(time(m.p50)), cell(time(m.p90)), cell(time(m.p99)), cell(time(m.queueP99)));
    return tr;
  }), 'no calls counted yet (metrics are off where TROUPE_METRICS=0)', 9);
  drawStrip(snapshot);
}
function drawStrip(snapshot) {
  const svg = document.getElementById('strip');
  const ns = 'http://www.w3.org/2000/svg';
  svg.replaceChildren();
  document.getElementById('window').textContent = snapshot.recording
    ? '(last ' + (snapshot.windowUs / 1e6).toFixed(0) + ' s)' : '(recording is off: configure({ timeline: true }))';
  const rows = snapshot.tracks;
  const width = svg.clientWidth || 800, label = 160, rowH = 16;
  svg.setAttribute('height', String(Math.max(40, rows.length * rowH + 8)));
  const x = (ts) => label + ((ts - (snapshot.nowUs - snapshot.windowUs)) / snapshot.windowUs) * (width - label);
  rows.forEach((track, i) => {
    const y = 4 + i * rowH;
    const text = document.createElementNS(ns, 'text');
    text.setAttribute('x', '0'); text.setAttribute('y', String(y + 11)); text.textContent = track.label;
    svg.append(text);
    for (const [ts, dur, failed] of track.calls) {
      const rect = document.createElementNS(ns, 'rect');
      const x0 = Math.max(label, x(ts));
      rect.setAttribute('x', String(x0)); rect.setAttribute('y', String(y));
      rect.setAttribute('width', String(Math.max(1, x(ts + dur) - x0))); rect.setAttribute('height', String(rowH - 4));
      rect.setAttribute('fill', failed ? 'var(--error)' : kinds[track.kind]);
      svg.append(rect);
    }
  });
}
const events = new EventSource('events');
events.onmessage = (event) => render(JSON.parse(event.data));
events.onerror = () => { document.getElementById('status').textContent = 'disconnected; retrying…'; };
</script>
</body>
</html>
`;
