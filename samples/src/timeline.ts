/**
 * The seed's lesson as a picture: 12 sleeps of 40 ms on a serial, an async and a threaded actor
 * (4 at a time), recorded with the timeline and drawn with `timelineSvg()`.
 *
 *   node samples/dist/timeline.js [out/timeline.svg]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { configure, shutdown, spawn, timelineSvg } from '@troupe/runtime';
import { AsyncSleepActor, SyncSleepActor, ThreadedSleepActor } from './sleep/actors.js';

const path = process.argv[2] ?? 'out/timeline.svg';
configure({ timeline: true });
const gauge = () => new Int32Array(new SharedArrayBuffer(8));
const actors = [
  spawn(SyncSleepActor, { args: [gauge()], name: 'serial' }),
  spawn(AsyncSleepActor, { args: [gauge()], name: 'async', maxConcurrency: 4 }),
  spawn(ThreadedSleepActor, { args: [gauge()], name: 'threaded', maxConcurrency: 4 }),
];
await Promise.all(actors.map((a) => a.ready()));
await Promise.all(actors.map((a) => Promise.all(Array.from({ length: 12 }, () => a.sleep(40)))));
mkdirSync(dirname(path), { recursive: true });
writeFileSync(
  path,
  timelineSvg(undefined, {
    title: '12 calls of sleep(40 ms): serial, async and threaded (4 at a time)',
  }),
);
console.log(`wrote ${path}`);
await shutdown();
