import type { EchoClient } from '../contenders/client.js';
import { troupe } from '../contenders/troupe.js';
import { type Figure, figure } from '../figures.js';
import { pipelined, runRounds, type Settings } from '../harness.js';

const group = 'observe';

/**
 * What observation costs on the pipelined no-op path: a serial actor spawned with metrics off
 * (the baseline, as `TROUPE_METRICS=0`), with metrics on (the default), and recording the
 * timeline. Each actor keeps what it was spawned with, so the three run side by side.
 */
export async function run(settings: Settings): Promise<Figure[]> {
  const calls = 5_000;
  const minMs = settings.quick ? 100 : 300;
  const baseline = 'metrics off';
  const contenders = [
    troupe<EchoClient>(baseline, ({ rt, actors }) => {
      rt.configure({ metrics: false, timeline: false });
      const h = rt.spawn(actors.Echo);
      return { handle: h, client: { echo: (x) => h.echo(x) } };
    }),
    troupe<EchoClient>('metrics on', ({ rt, actors }) => {
      rt.configure({ metrics: true, timeline: false });
      const h = rt.spawn(actors.Echo);
      return { handle: h, client: { echo: (x) => h.echo(x) } };
    }),
    troupe<EchoClient>('timeline on', ({ rt, actors }) => {
      rt.configure({ metrics: true, timeline: true });
      const h = rt.spawn(actors.Echo);
      // The actor records from its spawn; the other actors run without the caller's watcher.
      rt.configure({ timeline: false });
      return { handle: h, client: { echo: (x) => h.echo(x) } };
    }),
  ];
  const outcomes = await runRounds(
    contenders,
    { pipelined: (c) => pipelined(calls, minMs, (i) => c.echo(i)) },
    settings,
  );
  return contenders.map(({ name }) =>
    figure({
      group,
      name: `pipelined no-op calls, serial actor, ${name}`,
      unit: 'calls/s',
      outcome: outcomes.get(name),
      metric: 'pipelined',
      baseline: name === baseline ? undefined : { name: baseline, outcome: outcomes.get(baseline) },
      ratioLabel: 'x metrics off',
      target:
        name === 'metrics on'
          ? { text: '>= 0.95x metrics off', test: (r) => r >= 0.95 }
          : name === 'timeline on'
            ? { text: '>= 0.75x metrics off', test: (r) => r >= 0.75 }
            : undefined,
      note: `batches of ${calls} calls fired at once, >= ${minMs} ms a round`,
    }),
  );
}
