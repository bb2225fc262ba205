import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export interface CliOptions {
  /** Samples to run; all of them when empty. */
  only: string[];
  quick: boolean;
  latencyMs?: number;
  /** Draw progress (a bar on a terminal, lines otherwise); off with `--no-progress`. */
  progress: boolean;
  /** Serve the live dashboard while the showcase runs (`--dashboard`). */
  dashboard: boolean;
}

export const USAGE = `options:
  --only <sample>    run one sample (repeat or comma-separate: flags,sleep,sqlite,compute)
  --latency <ms>     flag server delay per response (default 250)
  --quick            small sizes: the whole showcase in about ten seconds
  --no-progress      print no progress, only the table
  --dashboard        serve the live dashboard (actors, latency, recent calls) while it runs`;

/** Thrown for `--help`: the message is the usage text, and the exit is a success. */
export class HelpRequested extends Error {
  constructor() {
    super(USAGE);
    this.name = 'HelpRequested';
  }
}

/** Reads the showcase's flags; an unknown flag or a bad value throws, `--help` too (see above). */
export function parseCli(argv: string[], samples: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      latency: { type: 'string' },
      'no-progress': { type: 'boolean', default: false },
      dashboard: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) throw new HelpRequested();
  const only = (values.only ?? []).flatMap((o) => o.split(',')).filter((o) => o !== '');
  const unknown = only.filter((o) => !samples.includes(o));
  if (unknown.length > 0) {
    throw new Error(`unknown sample ${unknown.join(', ')}: choose from ${samples.join(', ')}`);
  }
  const latencyMs = values.latency === undefined ? undefined : Number(values.latency);
  if (latencyMs !== undefined && !(Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw new Error(`--latency takes a number of milliseconds, got '${values.latency}'`);
  }
  return {
    only,
    quick: values.quick,
    latencyMs,
    progress: !values['no-progress'],
    dashboard: values.dashboard,
  };
}

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(realpathSync(script)).href === moduleUrl;
}
