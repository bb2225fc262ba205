import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RawEcho } from '../contenders/raw.js';
import { loadTroupe } from '../contenders/troupe.js';
import { type Figure, figure } from '../figures.js';
import { type Contender, now, runRounds, type Settings } from '../harness.js';

const group = 'lifecycle';
const MB = 1 << 20;

/** Starts one worker or actor and resolves once it answers (raw: first echo; Troupe: ready()). */
type StartOne = () => Promise<{ stop(): Promise<void> }>;

const raw: Contender<StartOne> = {
  name: 'raw new Worker + first message',
  async start() {
    const startOne: StartOne = async () => {
      const echo = await RawEcho.start();
      return { stop: () => echo.stop() };
    };
    return { client: startOne, stop: async () => {} };
  },
};

const troupeSerial: Contender<StartOne> = {
  name: 'Troupe serial actor, spawn + ready()',
  async start() {
    const { rt, actors } = await loadTroupe();
    const startOne: StartOne = async () => {
      const h = rt.spawn(actors.Echo);
      await h.ready();
      return { stop: () => rt.kill(h) };
    };
    return { client: startOne, stop: async () => {} };
  },
};

/** Lifecycle: many workers started at once, and the memory each holds while idle. */
export async function run(settings: Settings): Promise<Figure[]> {
  const count = settings.actors;
  const gc = exposeGc();
  const outcomes = await runRounds(
    [raw, troupeSerial],
    {
      spawn: async (startOne) => {
        gc();
        const before = process.memoryUsage().rss;
        const t0 = now();
        const started = await Promise.all(Array.from({ length: count }, () => startOne()));
        const seconds = (now() - t0) / 1000;
        await new Promise((resolve) => setTimeout(resolve, 100));
        gc();
        const after = process.memoryUsage().rss;
        await Promise.all(started.map((s) => s.stop()));
        return { rate: count / seconds, memory: (after - before) / count / MB };
      },
    },
    settings,
  );
  const note = `${count} started at once per round`;
  const baseline = { name: raw.name, outcome: outcomes.get(raw.name) };
  return [
    figure({
      group,
      name: `spawned per second, ${raw.name}`,
      unit: '/s',
      outcome: outcomes.get(raw.name),
      metric: 'rate',
      note,
    }),
    figure({
      group,
      name: `spawned per second, ${troupeSerial.name}`,
      unit: '/s',
      outcome: outcomes.get(troupeSerial.name),
      metric: 'rate',
      baseline,
      ratioLabel: 'x raw',
      target: { text: '>= 0.8x raw', test: (r) => r >= 0.8 },
      note,
    }),
    figure({
      group,
      name: `memory per idle worker, ${raw.name}`,
      unit: 'MB',
      outcome: outcomes.get(raw.name),
      metric: 'memory',
      note: 'RSS delta / count',
    }),
    figure({
      group,
      name: `memory per idle actor, ${troupeSerial.name}`,
      unit: 'MB',
      outcome: outcomes.get(troupeSerial.name),
      metric: 'memory',
      baseline,
      ratioLabel: 'x raw',
      note: 'RSS delta / count; SPEC §5 sets no target',
    }),
  ];
}

/** The `gc()` function without asking for `--expose-gc` on the command line. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
