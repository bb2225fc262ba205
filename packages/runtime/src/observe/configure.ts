/**
 * This process's observation settings: `configure()`, read by the hosts each spawn starts (see
 * hosts.ts). Environment variables give the defaults, so a run can be observed without a change
 * to its code.
 */

/** Options of `configure()`. */
export interface TroupeConfig {
  /**
   * Count calls per actor and method (by outcome, with histograms of queue wait and run time)
   * for `metrics()` and `@troupe/runtime/prometheus`, in actors spawned from now on.
   *
   * @default true, unless the environment sets `TROUPE_METRICS=0`
   */
  metrics?: boolean;
  /**
   * Trace calls where an OpenTelemetry tracer provider is registered: a client span for each call
   * this thread makes, a server span where actors spawned from now on run it. `false` removes
   * the tracing hooks from those actors' hosts and stops the client spans here, for a process
   * whose provider should not see each actor call; with no provider the hooks cost about nothing
   * (`npm run bench -- --only observe` measures it).
   *
   * @default true, unless the environment sets `TROUPE_TRACING=0`
   */
  tracing?: boolean;
  /**
   * Record every call of actors spawned from now on, for `timeline()` (Chrome trace events).
   * `TROUPE_TIMELINE=path.json` turns it on and writes the timeline there at exit.
   *
   * @default false
   */
  timeline?: boolean;
  /**
   * Calls each actor thread keeps for the timeline until this thread reads them (it reads every
   * 100 ms while recording): the oldest are lost past it.
   *
   * @default 16384
   */
  timelineCapacity?: number;
  /**
   * A module every actor worker imports before the actor's own module (Ray's worker setup
   * hook): an OpenTelemetry SDK, environment loading, instrumentation. It applies to actors
   * spawned from now on, and to the actors they spawn; `null` removes it.
   *
   * @example configure({ workerSetup: new URL('./otel-setup.js', import.meta.url) })
   */
  workerSetup?: string | URL | null;
}

export interface Settings {
  metrics: boolean;
  tracing: boolean;
  timeline: boolean;
  timelineCapacity: number;
  workerSetup: string | undefined;
}

export const settings: Settings = {
  metrics: process.env.TROUPE_METRICS !== '0',
  tracing: process.env.TROUPE_TRACING !== '0',
  timeline: Boolean(process.env.TROUPE_TIMELINE),
  timelineCapacity: 16384,
  workerSetup: undefined,
};

const listeners: (() => void)[] = [];

/** Runs `listener` after each `configure()` (the timeline starts its reader). */
export function onConfigure(listener: () => void): void {
  listeners.push(listener);
}

/**
 * Process-wide settings of observation and worker setup, for actors spawned from now on.
 *
 * @example
 * configure({ timeline: true, workerSetup: new URL('./tracing.js', import.meta.url) });
 */
export function configure(options: TroupeConfig): void {
  if (options.metrics !== undefined) settings.metrics = options.metrics;
  if (options.tracing !== undefined) settings.tracing = options.tracing;
  if (options.timeline !== undefined) settings.timeline = options.timeline;
  if (options.timelineCapacity !== undefined) {
    const n = options.timelineCapacity;
    if (!(Number.isInteger(n) && n >= 1)) {
      throw new TypeError(
        `configure({ timelineCapacity: ${n} }): give a whole number of calls >= 1.`,
      );
    }
    settings.timelineCapacity = n;
  }
  if (options.workerSetup !== undefined) {
    settings.workerSetup = options.workerSetup === null ? undefined : urlOf(options.workerSetup);
  }
  for (const listener of listeners) listener();
}

function urlOf(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module)) return module;
  throw new TypeError(
    `configure({ workerSetup: '${module}' }): give the module as a URL (file:…, or ` +
      "new URL('./setup.js', import.meta.url)), since workers resolve it from anywhere.",
  );
}
