import { expect, test } from '@jest/globals';
import { runActors } from '../src/run.js';

test('a serial, an async and a threaded actor', async () => {
  const { kinds, results } = await runActors();
  console.log(`RESULT ${JSON.stringify({ kinds, results })}`);
  expect(kinds).toEqual({
    Counter: ['serial', 1],
    Fetcher: ['async', 1],
    Squarer: ['threaded', 2],
  });
});
