import { troupe } from '../contenders/troupe.js';
import { type Figure, figure } from '../figures.js';
import { now, runRounds, type Settings } from '../harness.js';

const group = 'io';
const LATENCY_MS = 50;
const CONCURRENCY = 20;
const BATCHES = [20, 200];

type Sleeper = (ms: number) => Promise<unknown>;

/** IO-bound: N calls that each wait 50 ms, on actors that run 20 at a time. */
export async function run(settings: Settings): Promise<Figure[]> {
  const contenders = [
    troupe<Sleeper>(`Troupe async (maxConcurrency ${CONCURRENCY})`, ({ rt, actors }) => {
      const h = rt.spawn(actors.AsyncSleeper, { maxConcurrency: CONCURRENCY });
      return { handle: h, client: (ms) => h.sleep(ms) };
    }),
    troupe<Sleeper>(`Troupe threaded (${CONCURRENCY} threads)`, ({ rt, actors }) => {
      const h = rt.spawn(actors.BlockingSleeper, { maxConcurrency: CONCURRENCY });
      return { handle: h, client: (ms) => h.sleep(ms) };
    }),
  ];
  const measures = Object.fromEntries(
    BATCHES.map((n) => [
      `n${n}`,
      async (sleep: Sleeper) => {
        const t0 = now();
        await Promise.all(Array.from({ length: n }, () => sleep(LATENCY_MS)));
        return now() - t0;
      },
    ]),
  );
  const outcomes = await runRounds(contenders, measures, settings);
  const rows: Figure[] = [];
  for (const n of BATCHES) {
    const ideal = LATENCY_MS * Math.ceil(n / CONCURRENCY);
    for (const { name } of contenders) {
      rows.push(
        figure({
          group,
          name: `${n} calls at ${LATENCY_MS} ms, ${name}`,
          unit: 'ms',
          outcome: outcomes.get(name),
          metric: `n${n}`,
          ideal: { name: `ideal ${LATENCY_MS} ms x ceil(${n}/${CONCURRENCY})`, value: ideal },
          ratioLabel: 'x ideal',
          target: { text: '<= 1.15x ideal', test: (r) => r <= 1.15 },
          note: name.includes('threaded')
            ? 'each call blocks its thread in Atomics.wait'
            : undefined,
        }),
      );
    }
  }
  return rows;
}
