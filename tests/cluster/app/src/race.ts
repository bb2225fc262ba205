/** One of two processes racing for a name: prints `won <pid>` or `lost <error>`. */
import { connect, disconnect } from '@troupe/cluster';
import { spawn } from '@troupe/runtime';
import { Counter } from './actors.js';

const [url, name] = process.argv.slice(2) as [string, string];
await connect({ servers: url });
try {
  // Refused at once where this process already sees the name, else when the registry decides.
  const counter = spawn(Counter, { name });
  await counter.ready();
  console.log(`won ${(await counter.where()).pid}`);
} catch (error) {
  console.log(`lost ${(error as Error).name}: ${(error as Error).message}`);
}
// The winner's actor stays while the suite looks it up: end when told (stdin closes).
process.stdin.resume();
process.stdin.on('end', () => void disconnect().then(() => process.exit(0)));
