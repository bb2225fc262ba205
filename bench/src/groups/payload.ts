import type { EchoClient } from '../contenders/client.js';
import { rawEcho } from '../contenders/raw.js';
import { troupe } from '../contenders/troupe.js';
import { type Figure, figure } from '../figures.js';
import { now, runRounds, type Settings } from '../harness.js';

const group = 'payload';
const MB = 1 << 20;

/** Payloads: 1 MB copied and moved, and an array of 10,000 small objects, each way. */
export async function run(settings: Settings): Promise<Figure[]> {
  const minMs = settings.quick ? 100 : 300;
  const minCalls = 5;
  const objects = Array.from({ length: 10_000 }, (_, i) => ({
    id: i,
    name: `item ${i}`,
    price: i * 1.5,
    tags: ['a', 'b'],
  }));
  /** Calls awaited one by one, at least `minCalls` and for at least `minMs`; ms per call. */
  const perCall = async (call: () => Promise<unknown>): Promise<number> => {
    let calls = 0;
    const t0 = now();
    while (calls < minCalls || now() - t0 < minMs) {
      await call();
      calls++;
    }
    return (now() - t0) / calls;
  };
  const contenders = [
    rawEcho,
    troupe<EchoClient>('Troupe serial', ({ rt, actors }) => {
      const h = rt.spawn(actors.Echo);
      return {
        handle: h,
        client: {
          echo: (x) => h.echo(x),
          bounce: (buffer) => h.bounce(rt.transfer(buffer, [buffer])),
        },
      };
    }),
  ];
  const outcomes = await runRounds(
    contenders,
    {
      copied: (c) => {
        const buffer = new ArrayBuffer(MB);
        return perCall(() => c.echo(buffer));
      },
      transferred: async (c) => {
        let buffer = new ArrayBuffer(MB);
        const bounce = c.bounce?.bind(c);
        if (!bounce) throw new Error('this contender cannot transfer');
        return perCall(async () => {
          const sent = buffer;
          buffer = await bounce(sent);
          if (sent.byteLength !== 0) throw new Error('the buffer was copied, not moved');
          if (buffer.byteLength !== MB) throw new Error('the buffer came back with a wrong size');
        });
      },
      objects: (c) => perCall(() => c.echo(objects)),
    },
    settings,
  );
  const baseline = rawEcho.name;
  const rows: Figure[] = [];
  const cases = [
    ['copied', '1 MB ArrayBuffer copied both ways'],
    ['transferred', '1 MB ArrayBuffer transferred both ways'],
    ['objects', '10,000-object array round trip'],
  ] as const;
  for (const [metric, label] of cases) {
    for (const { name } of contenders) {
      rows.push(
        figure({
          group,
          name: `${label}, ${name}`,
          unit: 'ms/call',
          outcome: outcomes.get(name),
          metric,
          baseline:
            name === baseline ? undefined : { name: baseline, outcome: outcomes.get(baseline) },
          ratioLabel: 'x raw',
          note: `calls awaited one by one for >= ${minMs} ms a round; SPEC §5 sets no target`,
        }),
      );
    }
  }
  for (const { name } of contenders) {
    rows.push(
      figure({
        group,
        name: `1 MB transferred vs copied, ${name}`,
        unit: 'ms/call',
        outcome: outcomes.get(name),
        metric: 'transferred',
        baseline: { name: `${name}, copied`, outcome: outcomes.get(name), metric: 'copied' },
        ratioLabel: 'x copied',
      }),
    );
  }
  return rows;
}
