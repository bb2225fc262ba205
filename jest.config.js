/** Jest runs the TypeScript test files through ts-jest as ESM. Code that runs inside worker
 * threads (the runtime, actor fixtures, samples) is never transformed by jest: `npm test` builds it
 * with `tspc -b` first and the tests import the compiled JavaScript. */
// The fixtures are built without the transformer on purpose (they test the runtime alone): keep
// its one-time warning out of every test's output. tests/lifecycle.test.ts checks the warning.
process.env.TROUPE_SILENCE_TRANSFORMER_WARNING ??= '1';

export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tests/tsconfig.json' }],
  },
  testTimeout: 60000,
};
