import { test } from 'vitest';
import { runAll } from '../src/run.js';

test('the actors run under vitest', async () => {
  console.log(`RESULT ${JSON.stringify(await runAll())}`);
});
