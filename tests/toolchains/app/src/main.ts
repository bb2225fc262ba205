import { runAll } from './run.js';

console.log(`RESULT ${JSON.stringify(await runAll())}`);
