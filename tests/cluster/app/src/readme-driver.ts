/**
 * The driver of the README's "Running on many machines", as written there (its servers and
 * creds file come from the command line). Prints what it saw as one JSON line, then leaves the
 * cluster; nothing else keeps it alive, so it exits by itself.
 */
import { connect, disconnect, listNodes } from '@troupe/cluster';
import { listActors, SharedCounter, spawn } from '@troupe/runtime';
import { Counter, Hasher } from './readme.js';

const [servers, creds] = process.argv.slice(2) as [string, string];

await connect({ servers, creds });
const counter = spawn(Counter, { args: [10] }); // placement 'any': a node picks it up
const added = await counter.add(1); // 11, computed on that node
const done = new SharedCounter();
const hasher = spawn(Hasher, { args: [done], placement: 'local' }); // shared memory: here
const digest = await hasher.hash('seed', 1);
console.log(
  JSON.stringify({ added, digest, done: done.get(), nodes: listNodes(), actors: listActors() }),
);
await disconnect(); // the actors this process spawned end
console.log('disconnected');
