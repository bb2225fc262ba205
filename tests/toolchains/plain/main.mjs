import { listActors, shutdown, spawn } from '@troupe/runtime';
import { Counter, Delayer } from './actors.mjs';

const counter = spawn(Counter);
const delayer = spawn(Delayer);
const result = {
  serial: [await counter.add(1), await counter.add(2)],
  delayer: await delayer.later(7).catch((error) => error.name),
  kinds: listActors().map((a) => a.kind),
};
await shutdown();
console.log(`RESULT ${JSON.stringify(result)}`);
