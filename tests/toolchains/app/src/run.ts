import { listActors, shutdown, spawn } from '@troupe/runtime';
import { Counter, Delayer, Fetcher, Squarer } from './actors.js';

/** The three actors, their kinds and results: what every toolchain must agree on. */
export async function runAll(): Promise<Record<string, unknown>> {
  const counter = spawn(Counter);
  const fetcher = spawn(Fetcher);
  const squarer = spawn(Squarer);
  const delayer = spawn(Delayer);
  const results = {
    serial: [await counter.add(1), await counter.add(2)],
    async: [await fetcher.later('a'), await fetcher.upper('b')],
    threaded: await Promise.all([2, 3].map((n) => squarer.square(n))),
    delayer: await delayer.later(7).catch((error: Error) => error.name),
  };
  const kinds = Object.fromEntries(
    listActors().map((a) => [a.name.replace(/#.*/, ''), [a.kind, a.threads]]),
  );
  await shutdown();
  return { kinds, results };
}
