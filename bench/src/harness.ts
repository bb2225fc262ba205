import { performance } from 'node:perf_hooks';
import { type Stats, stats } from './stats.js';

/** How hard a group works: rounds after the warm-up, and the size of each round. */
export interface Settings {
  quick: boolean;
  /** Measured rounds per figure, after `warmup` unmeasured ones. */
  rounds: number;
  warmup: number;
  /** Actors (and raw workers) started at once per lifecycle round. */
  actors: number;
  cores: number;
}

export const now = (): number => performance.now();

/** Something to measure: `start` brings up its workers and hands back a client to drive. */
export interface Contender<C> {
  name: string;
  start(): Promise<Running<C>>;
}

export interface Running<C> {
  client: C;
  stop(): Promise<void>;
}

/** A measure returns one number, or several named numbers taken from the same operation. */
export type Measure<C> = (client: C) => Promise<number | Record<string, number>>;

export type Outcome = { stats: Record<string, Stats> } | { error: string };

/** A contender that takes longer than this to start, or to finish one measure, has hung. */
const START_TIMEOUT_MS = 30_000;
const MEASURE_TIMEOUT_MS = 30_000;

/**
 * Starts every contender, then runs the measures round-robin (round 1 of each contender, then
 * round 2 …) so that drift on a shared machine falls on all of them alike. A contender that fails
 * to start or to measure is reported as an error; the others go on.
 */
export async function runRounds<C>(
  contenders: Contender<C>[],
  measures: Record<string, Measure<C>>,
  settings: Pick<Settings, 'rounds' | 'warmup'>,
): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  const live: { name: string; running: Running<C>; samples: Record<string, number[]> }[] = [];
  for (const contender of contenders) {
    try {
      const running = await withTimeout(
        contender.start(),
        START_TIMEOUT_MS,
        `starting ${contender.name}`,
      );
      live.push({ name: contender.name, running, samples: {} });
    } catch (error) {
      outcomes.set(contender.name, { error: describe(error) });
    }
  }
  try {
    for (let round = 0; round < settings.warmup + settings.rounds; round++) {
      for (const [measureName, measure] of Object.entries(measures)) {
        for (const entry of live) {
          if (outcomes.has(entry.name)) continue;
          try {
            const value = await withTimeout(
              measure(entry.running.client),
              MEASURE_TIMEOUT_MS,
              `${entry.name}, ${measureName}`,
            );
            if (round < settings.warmup) continue;
            const named = typeof value === 'number' ? { [measureName]: value } : value;
            for (const [metric, v] of Object.entries(named)) {
              entry.samples[metric] ??= [];
              entry.samples[metric].push(v);
            }
          } catch (error) {
            outcomes.set(entry.name, { error: `${measureName}: ${describe(error)}` });
          }
        }
      }
    }
  } finally {
    for (const entry of live) {
      try {
        await withTimeout(entry.running.stop(), 10_000, `stopping ${entry.name}`);
      } catch (error) {
        if (!outcomes.has(entry.name)) outcomes.set(entry.name, { error: describe(error) });
      }
      if (!outcomes.has(entry.name)) {
        const all: Record<string, Stats> = {};
        for (const [metric, samples] of Object.entries(entry.samples)) all[metric] = stats(samples);
        outcomes.set(entry.name, { stats: all });
      }
    }
  }
  return outcomes;
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const firstFrame = error.stack?.split('\n').find((l) => l.trim().startsWith('at '));
    return `${error.name}: ${error.message}${firstFrame ? ` (${firstFrame.trim()})` : ''}`;
  }
  return String(error);
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `n` awaited calls, one after another, repeated until `minMs` have passed (so fast and slow
 * contenders are both timed over a span long enough to read), in µs per call.
 */
export async function sequential(
  n: number,
  minMs: number,
  call: (i: number) => Promise<unknown>,
): Promise<number> {
  let done = 0;
  const t0 = now();
  do {
    for (let i = 0; i < n; i++) await call(i);
    done += n;
  } while (now() - t0 < minMs);
  return ((now() - t0) * 1000) / done;
}

/** `n` calls fired at once and awaited together, repeated until `minMs`, in calls per second. */
export async function pipelined(
  n: number,
  minMs: number,
  call: (i: number) => Promise<unknown>,
): Promise<number> {
  const pending = new Array<Promise<unknown>>(n);
  let done = 0;
  const t0 = now();
  do {
    for (let i = 0; i < n; i++) pending[i] = call(i);
    await Promise.all(pending);
    done += n;
  } while (now() - t0 < minMs);
  return done / ((now() - t0) / 1000);
}
