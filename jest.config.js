/** Jest runs the TypeScript test files through ts-jest as ESM. Code that runs inside worker
 * threads (the runtime, actor fixtures, samples) is never transformed by jest: `npm test` builds it
 * with `tspc -b` first and the tests import the compiled JavaScript. */
// The fixtures are built without the transformer on purpose (they test the runtime alone): keep
// its one-time warning out of every test's output. tests/lifecycle.test.ts checks the warning.
process.env.TROUPE_SILENCE_TRANSFORMER_WARNING ??= '1';

const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tests/tsconfig.json' }],
  },
  // TypeScript sources (test helpers, and the runtime's pure wire modules that protocol.test.ts
  // checks directly) are imported by their `.js` names, as ESM wants: resolve them extension-free.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

/**
 * The suites that run a second time with every actor hosted in-process over a fake bus
 * (tests/support/fake-bus.ts): the calls, retries, streams, `wait` and ActorPool reach actors
 * through the transport seam alone, so they must behave the same on any transport.
 */
const onAnyTransport = [
  'serial',
  'async',
  'handles',
  'errors',
  'actor-pool',
  'concurrency',
  'streams',
];

export default {
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'worker threads', testMatch: ['**/*.test.ts'] },
    {
      ...common,
      displayName: 'fake transport',
      testMatch: onAnyTransport.map((suite) => `**/tests/${suite}.test.ts`),
      setupFiles: ['<rootDir>/tests/support/fake-transport-setup.ts'],
    },
  ],
};
