import type { EchoClient } from '../contenders/client.js';
import { comlink } from '../contenders/comlink.js';
import { piscina, tinypool } from '../contenders/pools.js';
import { rawEcho } from '../contenders/raw.js';
import { troupe } from '../contenders/troupe.js';
import { type Figure, figure } from '../figures.js';
import { pipelined, runRounds, type Settings, sequential } from '../harness.js';

const group = 'overhead';

/** Call overhead: a no-op echo of a small number, awaited one by one and fired all at once. */
export async function run(settings: Settings): Promise<Figure[]> {
  const calls = { sequential: 500, pipelined: 5_000 };
  const minMs = settings.quick ? 100 : 300;
  const contenders = [
    rawEcho,
    troupe<EchoClient>('Troupe serial', ({ rt, actors }) => {
      const h = rt.spawn(actors.Echo);
      return { handle: h, client: { echo: (x) => h.echo(x) } };
    }),
    troupe<EchoClient>('Troupe async', ({ rt, actors }) => {
      const h = rt.spawn(actors.AsyncEcho);
      return { handle: h, client: { echo: (x) => h.echo(x) } };
    }),
    troupe<EchoClient>('Troupe threaded (1 thread)', ({ rt, actors }) => {
      const h = rt.spawn(actors.ThreadedEcho, { maxConcurrency: 1 });
      return { handle: h, client: { echo: (x) => h.echo(x) } };
    }),
    comlink,
    piscina(1),
    tinypool(1, false),
    tinypool(1, true),
  ];
  const outcomes = await runRounds(
    contenders,
    {
      sequential: (c) => sequential(calls.sequential, minMs, (i) => c.echo(i)),
      pipelined: (c) => pipelined(calls.pipelined, minMs, (i) => c.echo(i)),
    },
    settings,
  );
  const baseline = rawEcho.name;
  const rows: Figure[] = [];
  for (const { name } of contenders) {
    const isTroupe = name.startsWith('Troupe');
    rows.push(
      figure({
        group,
        name: `sequential round trip, ${name}`,
        unit: 'µs/call',
        outcome: outcomes.get(name),
        metric: 'sequential',
        baseline:
          name === baseline ? undefined : { name: baseline, outcome: outcomes.get(baseline) },
        ratioLabel: 'x echo',
        target:
          name === 'Troupe serial'
            ? { text: '<= 1.0x echo (stretch 0.8x)', test: (r) => r <= 1.0 }
            : undefined,
        note: `batches of ${calls.sequential} calls awaited one by one, >= ${minMs} ms a round${isTroupe ? '; runtime handle, no transformer' : ''}`,
      }),
    );
  }
  for (const { name } of contenders) {
    const isServing = name === 'Troupe serial' || name === 'Troupe async';
    rows.push(
      figure({
        group,
        name: `pipelined no-op calls, ${name}`,
        unit: 'calls/s',
        outcome: outcomes.get(name),
        metric: 'pipelined',
        baseline:
          name === baseline ? undefined : { name: baseline, outcome: outcomes.get(baseline) },
        ratioLabel: 'x echo',
        target: isServing ? { text: '>= 1.0x echo', test: (r) => r >= 1.0 } : undefined,
        note: `batches of ${calls.pipelined} calls fired at once, >= ${minMs} ms a round`,
      }),
    );
  }
  // Troupe's pipelined rate against Comlink's: SPEC §5 asks for >= 4x.
  for (const name of ['Troupe serial', 'Troupe async']) {
    rows.push(
      figure({
        group,
        name: `pipelined no-op calls, ${name} vs Comlink`,
        unit: 'calls/s',
        outcome: outcomes.get(name),
        metric: 'pipelined',
        baseline: { name: comlink.name, outcome: outcomes.get(comlink.name) },
        ratioLabel: 'x Comlink',
        target: { text: '>= 4x Comlink', test: (r) => r >= 4 },
      }),
    );
  }
  return rows;
}
