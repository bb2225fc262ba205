import { piscina, tinypool } from '../contenders/pools.js';
import { troupe } from '../contenders/troupe.js';
import { type Figure, figure } from '../figures.js';
import { type Contender, now, type Outcome, runRounds, type Settings } from '../harness.js';
import { spin } from '../work.js';

const group = 'cpu';

type Work = (iterations: number) => Promise<unknown>;

/**
 * CPU-bound: the same fixed amount of busy work, split into many calls, on 1..N threads
 * (N = available parallelism). Each contender's speedup is over its own 1-thread time.
 */
export async function run(settings: Settings): Promise<Figure[]> {
  const calls = settings.quick ? 128 : 400;
  const callMs = 2;
  const iterations = calibrate(callMs);
  const threadCounts = settings.quick
    ? [...new Set([1, settings.cores])]
    : Array.from({ length: settings.cores }, (_, i) => i + 1);
  const note = `${calls} calls of ~${callMs} ms (${iterations} iterations each)`;

  const direct: Contender<Work> = {
    name: 'main thread, no workers',
    async start() {
      return { client: async (n) => spin(n), stop: async () => {} };
    },
  };
  const contendersAt = (threads: number): Contender<Work>[] => {
    const pool = (make: typeof piscina): Contender<Work> => {
      const c = make(threads);
      return {
        name: c.name,
        async start() {
          const running = await c.start();
          return { client: (n) => running.client.run(n, 'work'), stop: running.stop };
        },
      };
    };
    return [
      troupe<Work>('Troupe threaded', ({ rt, actors }) => {
        const h = rt.spawn(actors.Cpu, { maxConcurrency: threads });
        return { handle: h, client: (n) => h.work(n) };
      }),
      pool(piscina),
      pool((t) => tinypool(t, true)),
    ];
  };
  const batch = async (work: Work): Promise<number> => {
    const t0 = now();
    await Promise.all(Array.from({ length: calls }, () => work(iterations)));
    return now() - t0;
  };

  const rows: Figure[] = [];
  const single = new Map<string, Outcome>();
  for (const threads of threadCounts) {
    const contenders = contendersAt(threads);
    const outcomes = await runRounds(
      threads === 1 ? [direct, ...contenders] : contenders,
      { batch },
      settings,
    );
    if (threads === 1) {
      for (const { name } of contenders) {
        single.set(name, outcomes.get(name) as Outcome);
        rows.push(
          figure({
            group,
            name: `1 thread, ${name}`,
            unit: 'ms',
            outcome: outcomes.get(name),
            metric: 'batch',
            baseline: { name: direct.name, outcome: outcomes.get(direct.name) },
            ratioLabel: 'x direct',
            note,
          }),
        );
      }
      continue;
    }
    const speedup = (name: string, target?: { text: string; test: (r: number) => boolean }) =>
      figure({
        group,
        name: `${threads} threads, ${name}`,
        unit: 'ms',
        outcome: outcomes.get(name),
        metric: 'batch',
        baseline: { name: `${name}, 1 thread`, outcome: single.get(name) },
        ratioLabel: 'speedup',
        ratioOf: 'inverse',
        target,
      });
    const [ours, ...peers] = contenders.map((c) => c.name);
    const peerRows = peers.map((name) => speedup(name));
    const bestPeer = Math.max(...peerRows.map((r) => r.ratio ?? 0));
    const wantLinear = threads <= Math.max(1, settings.cores / 2);
    const targetText = `>= best peer (${bestPeer.toFixed(2)})${wantLinear ? `, >= ${0.9 * threads}` : ''}`;
    rows.push(
      speedup(ours, {
        text: targetText,
        test: (r) => r >= bestPeer && (!wantLinear || r >= 0.9 * threads),
      }),
      ...peerRows,
    );
  }
  return rows;
}

/** Iterations of `spin` that take about `ms` on this machine's main thread. */
function calibrate(ms: number): number {
  spin(5_000_000); // let the JIT optimise spin first
  let iterations = 100_000;
  for (;;) {
    const t0 = now();
    spin(iterations);
    const took = now() - t0;
    if (took > 20) return Math.round((iterations * ms) / took);
    iterations *= 2;
  }
}
