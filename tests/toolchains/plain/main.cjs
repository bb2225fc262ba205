const { shutdown, spawn } = require('@troupe/runtime');
const { Counter } = require('./actors.cjs');

(async () => {
  const counter = spawn(Counter);
  const serial = [await counter.add(1), await counter.add(2)];
  await shutdown();
  console.log(`RESULT ${JSON.stringify({ serial })}`);
})();
