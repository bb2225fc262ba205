/** A driver that spawns a named actor on a node, says so, and waits to be killed. */
import { connect } from '@troupe/cluster';
import { spawn } from '@troupe/runtime';
import { Counter } from './actors.js';

const [url, name] = process.argv.slice(2) as [string, string];
await connect({ servers: url, heartbeatMs: 200 });
const counter = spawn(Counter, { name, placement: { node: 'n1' } });
await counter.incr(1);
console.log('spawned');
setInterval(() => {}, 1 << 30);
