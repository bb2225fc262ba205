/** Jest runs the TypeScript test files through ts-jest as ESM. Code that runs inside worker
 * threads (the runtime, actor fixtures, samples) is never transformed by jest: `npm test` builds it
 * with `tspc -b` first and the tests import the compiled JavaScript. */
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
