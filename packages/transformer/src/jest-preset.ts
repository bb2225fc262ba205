/**
 * `preset: '@troupe/transformer/jest'`: TypeScript tests as ES modules through ts-jest with the
 * adapter, imports written with `.js` mapped to their sources, and the build output ignored (its
 * compiled copies of the tests would run twice). Jest runs ES modules only under
 * `node --experimental-vm-modules`; the setup file says so when it is missing.
 */
const preset = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts', '.mts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.m?js$': '$1' },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
  watchPathIgnorePatterns: ['<rootDir>/dist/'],
  setupFiles: [require.resolve('./jest-setup.js')],
  transform: {
    '^.+\\.m?tsx?$': [
      'ts-jest',
      {
        useESM: true,
        astTransformers: { before: [{ path: require.resolve('./jest.js') }] },
      },
    ],
  },
};

export = preset;
