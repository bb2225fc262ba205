import { test } from '@jest/globals';
import { runAll } from '../src/run.js';

test('the actors run under jest', async () => {
  console.log(`RESULT ${JSON.stringify(await runAll())}`);
});
