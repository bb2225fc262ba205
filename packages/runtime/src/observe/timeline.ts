/**
 * `timeline()`: every call recorded so far as Chrome trace events, the JSON that Perfetto and
 * chrome://tracing open. Each actor is a process of the trace; its calls are complete events on
 * its tracks: the one track of a serial actor, one per thread of a threaded actor, and for an
 * async actor one lane per concurrency slot in use, so that events never overlap on a track.
 */
import { writeFileSync } from 'node:fs';
import { CallOutcome } from '../host/call-watch.js';
import { settings } from './configure.js';
import { type ActorMemory, type HostMemory, observedActors } from './hosts.js';
import { lanesOf } from './lanes.js';
import { RecordSlot } from './layout.js';

/** One event of the Chrome trace format (µs, on one clock across threads). */
export interface TraceEvent {
  name: string;
  ph: 'X' | 'i' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  /** Instant scope: `p`, the whole process (actor). */
  s?: 'p' | 't';
  args?: Record<string, unknown>;
}

/** Numbers per call read from a ring: replica, method, call id, start, end, wait, outcome, retries. */
const CALL_FIELDS = 8;
/** Calls kept per actor in this thread; the oldest go first (and count as lost). */
const KEPT_CALLS = 200_000;

const OUTCOMES = ['ok', 'error', 'cancelled', 'dropped'];

/** Moves what a host wrote to its ring since the last read into its actor's calls. */
function drainHost(actor: ActorMemory, host: HostMemory): void {
  const { room } = host;
  const written = room.written;
  if (room.capacity === 0 || written === host.read) return;
  if (written - host.read > room.capacity) {
    actor.lost += written - host.read - room.capacity;
    host.read = written - room.capacity;
  }
  for (let n = host.read; n < written; n++) {
    const at = room.slotOf(n);
    const ring = room.ring;
    actor.calls.push(
      host.replica,
      ring[at + RecordSlot.Method] as number,
      ring[at + RecordSlot.CallId] as number,
      ring[at + RecordSlot.Start] as number,
      ring[at + RecordSlot.End] as number,
      ring[at + RecordSlot.WaitUs] as number,
      ring[at + RecordSlot.Outcome] as number,
      ring[at + RecordSlot.Retries] as number,
    );
  }
  host.read = written;
  const excess = actor.calls.length - KEPT_CALLS * CALL_FIELDS;
  if (excess > 0) {
    actor.calls.splice(0, excess);
    actor.lost += excess / CALL_FIELDS;
  }
}

/** Reads every ring: the hosts may write past their capacity before the next read. */
export function drainTimeline(): void {
  for (const actor of observedActors()) {
    if (!actor.timeline) continue;
    for (const host of actor.hosts) drainHost(actor, host);
  }
}

function eventsOf(actor: ActorMemory, origin: number): TraceEvent[] {
  const { info, pid, calls } = actor;
  const name = {
    name: `${info.name} (${info.kind})`,
    ...(actor.lost > 0 ? { lost: actor.lost } : {}),
  };
  const events: TraceEvent[] = [
    { name: 'process_name', ph: 'M', pid, tid: 0, args: name },
    { name: 'process_sort_index', ph: 'M', pid, tid: 0, args: { sort_index: pid } },
  ];
  let lanes: number[] | undefined;
  if (info.kind === 'async') {
    const spans: [number, number][] = [];
    for (let i = 0; i < calls.length; i += CALL_FIELDS) {
      spans.push([calls[i + 3] as number, calls[i + 4] as number]);
    }
    lanes = lanesOf(spans);
  }
  const tracks = new Set<number>();
  for (let i = 0, n = 0; i < calls.length; i += CALL_FIELDS, n++) {
    const outcome = calls[i + 6] as number;
    const start = (calls[i + 3] as number) - origin;
    const method = info.methods[calls[i + 1] as number] ?? `#${calls[i + 1]}`;
    const args = {
      callId: calls[i + 2],
      outcome: OUTCOMES[outcome],
      queuedUs: Math.round(calls[i + 5] as number),
      retries: calls[i + 7],
    };
    if (outcome === CallOutcome.Cancelled || outcome === CallOutcome.Dropped) {
      events.push({
        name: `${method} ${OUTCOMES[outcome]}`,
        ph: 'i',
        s: 'p',
        pid,
        tid: 0,
        ts: start,
        args,
      });
      continue;
    }
    const tid = lanes === undefined ? (calls[i] as number) : (lanes[n] as number);
    tracks.add(tid);
    events.push({
      name: method,
      cat: info.kind,
      ph: 'X',
      pid,
      tid,
      ts: start,
      dur: (calls[i + 4] as number) - (calls[i + 3] as number),
      args,
    });
  }
  const trackName = info.kind === 'async' ? 'lane' : info.kind === 'threaded' ? 'thread' : 'calls';
  for (const tid of [...tracks].sort((a, b) => a - b)) {
    events.push({
      name: 'thread_name',
      ph: 'M',
      pid,
      tid,
      args: { name: info.kind === 'serial' ? trackName : `${trackName} ${tid}` },
    });
  }
  for (const instant of actor.instants) {
    events.push({
      name: instant.name,
      ph: 'i',
      s: 'p',
      pid,
      tid: instant.replica,
      ts: instant.at - origin,
      ...(instant.args ? { args: instant.args } : {}),
    });
  }
  return events;
}

/**
 * The calls recorded so far, as Chrome trace events (open the JSON of `writeTimeline` in Perfetto
 * or chrome://tracing). Recording is off unless `configure({ timeline: true })` or
 * `TROUPE_TIMELINE=path.json` asked for it; it covers the actors this thread spawned since.
 * Times are in µs since this thread started.
 */
export function timeline(): TraceEvent[] {
  drainTimeline();
  const origin = performance.timeOrigin * 1000;
  const events: TraceEvent[] = [];
  for (const actor of observedActors()) {
    // One push per event: spreading a long run's events would overflow the stack.
    if (actor.timeline) for (const event of eventsOf(actor, origin)) events.push(event);
  }
  return events;
}

/** Writes `timeline()` to `path` as a Chrome trace file. */
export function writeTimeline(path: string): void {
  writeFileSync(path, JSON.stringify({ traceEvents: timeline(), displayTimeUnit: 'ms' }));
}

let reader: NodeJS.Timeout | undefined;

/** While recording, reads the rings every 100 ms, so that a busy actor's ring does not fill. */
export function keepReading(): void {
  if (settings.timeline && reader === undefined) {
    reader = setInterval(drainTimeline, 100);
    reader.unref();
  } else if (!settings.timeline && reader !== undefined) {
    clearInterval(reader);
    reader = undefined;
  }
}
