import type { EchoClient } from '../contenders/client.js';
import { type Troupe, troupe } from '../contenders/troupe.js';
import { type Figure, figure } from '../figures.js';
import { pipelined, runRounds, type Settings } from '../harness.js';

const group = 'observe';

/**
 * What observation costs on the pipelined no-op path: a serial actor spawned with metrics off
 * (the baseline, as `TROUPE_METRICS=0`), with metrics on (the default), and recording the
 * timeline; and what the tracing hooks cost with no tracer provider registered: the default
 * (metrics on, hooks in) against an actor whose host runs without them (`tracing: false`, as
 * `TROUPE_TRACING=0`), the timeline off in both. Each actor keeps what it was spawned with, so
 * they all run side by side.
 */
export async function run(settings: Settings): Promise<Figure[]> {
  const calls = 5_000;
  const minMs = settings.quick ? 100 : 300;
  const metricsOff = 'metrics off';
  const tracingOff = 'metrics on, tracing hooks removed';
  const spawned =
    (config: Parameters<Troupe['rt']['configure']>[0]) =>
    ({ rt, actors }: Troupe) => {
      rt.configure({ metrics: true, timeline: false, tracing: true, ...config });
      const h = rt.spawn(actors.Echo);
      // The actor keeps what it was spawned with; the others run without the caller's watcher.
      rt.configure({ timeline: false, tracing: true });
      return { handle: h, client: { echo: (x: number) => h.echo(x) } satisfies EchoClient };
    };
  const contenders = [
    troupe<EchoClient>(metricsOff, spawned({ metrics: false })),
    troupe<EchoClient>('metrics on', spawned({})),
    troupe<EchoClient>('timeline on', spawned({ timeline: true })),
    troupe<EchoClient>(tracingOff, spawned({ tracing: false })),
  ];
  const outcomes = await runRounds(
    contenders,
    { pipelined: (c) => pipelined(calls, minMs, (i) => c.echo(i)) },
    settings,
  );
  const note = `batches of ${calls} calls fired at once, >= ${minMs} ms a round`;
  const row = (name: string, baseline: string | undefined, target?: number): Figure =>
    figure({
      group,
      name: `pipelined no-op calls, serial actor, ${name}`,
      unit: 'calls/s',
      outcome: outcomes.get(name),
      metric: 'pipelined',
      baseline:
        baseline === undefined ? undefined : { name: baseline, outcome: outcomes.get(baseline) },
      ratioLabel: `x ${baseline}`,
      target:
        target === undefined
          ? undefined
          : { text: `>= ${target}x ${baseline}`, test: (r) => r >= target },
      note,
    });
  return [
    row(metricsOff, undefined),
    row('metrics on', metricsOff, 0.95),
    row('timeline on', metricsOff, 0.75),
    row(tracingOff, undefined),
    figure({
      group,
      name: 'pipelined no-op calls, serial actor, tracing hooks in, no provider (the default)',
      unit: 'calls/s',
      outcome: outcomes.get('metrics on'),
      metric: 'pipelined',
      baseline: { name: tracingOff, outcome: outcomes.get(tracingOff) },
      ratioLabel: 'x hooks removed',
      target: { text: '>= 0.98x hooks removed', test: (r) => r >= 0.98 },
      note: `${note}; both with metrics on and the timeline off`,
    }),
  ];
}
