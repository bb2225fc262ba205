/**
 * A driver that spawns a named actor on a node, says so, and waits to be killed. With a second
 * name, a log and a node, it also spawns a detached Journal there, which outlives it.
 */
import { connect } from '@troupe/cluster';
import { spawn } from '@troupe/runtime';
import { Counter, Journal } from './actors.js';

const [url, name, detachedName, log, node] = process.argv.slice(2) as [
  string,
  string,
  string | undefined,
  string | undefined,
  string | undefined,
];
await connect({ servers: url, heartbeatMs: 200 });
const counter = spawn(Counter, { name, placement: { node: node ?? 'n1' } });
await counter.incr(1);
if (detachedName !== undefined && log !== undefined) {
  const journal = spawn(Journal, {
    args: [log],
    name: detachedName,
    lifetime: 'detached',
    maxRestarts: 1,
    placement: { node: node ?? 'n1' },
  });
  await journal.work(0, 0);
}
console.log('spawned');
setInterval(() => {}, 1 << 30);
