// Runs before each test file of `preset: '@troupe/transformer/jest'`. @troupe/runtime is an ES
// module, which jest loads only with vm modules: without them the first import fails with "Must
// use import to load ES Module", which names neither the cause nor the fix.
import * as vm from 'node:vm';

if (!('SourceTextModule' in vm)) {
  throw new Error(
    '@troupe/transformer/jest: jest runs ES modules (and @troupe/runtime is one) only under ' +
      'node --experimental-vm-modules. Run it as NODE_OPTIONS=--experimental-vm-modules jest ' +
      '(in package.json: "test": "NODE_OPTIONS=--experimental-vm-modules jest").',
  );
}
