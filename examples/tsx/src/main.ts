import { runActors } from './run.js';

console.log(`RESULT ${JSON.stringify(await runActors())}`);
