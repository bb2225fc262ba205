import { listActors, shutdown, spawn } from '@troupe/runtime';
import { Counter, Fetcher, Squarer } from './actors.js';

const counter = spawn(Counter);
const fetcher = spawn(Fetcher);
const squarer = spawn(Squarer);
const results = {
  serial: [await counter.add(1), await counter.add(2)],
  async: [await fetcher.later('a'), await fetcher.upper('b')],
  threaded: await Promise.all([2, 3].map((n) => squarer.square(n))),
};
const kinds = Object.fromEntries(
  listActors().map((a) => [a.name.replace(/#.*/, ''), [a.kind, a.threads]]),
);
await shutdown();
console.log(`RESULT ${JSON.stringify({ kinds, results })}`);
