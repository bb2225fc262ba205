import { listActors, shutdown, spawn } from '@troupe/runtime';
import { Delayer } from './delayer.js';

const delayer = spawn(Delayer);
const result = await delayer.later(7).catch((error: Error) => error.name);
const [kind] = listActors().map((a) => [a.kind, a.threads]);
await shutdown();
console.log(`RESULT ${JSON.stringify({ kind, result })}`);
