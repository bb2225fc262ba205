/** A jest project whose TypeScript goes through ts-jest with the @troupe/transformer adapter. */
export default {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/*.check.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^@troupe/runtime$': '<rootDir>/fake-runtime.js' },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        useESM: true,
        // isolatedModules false: ts-jest keeps a program, so the adapter has the type checker.
        tsconfig: {
          target: 'ES2022',
          module: 'ESNext',
          moduleResolution: 'Bundler',
          isolatedModules: false,
          esModuleInterop: true,
          types: ['node', 'jest'],
        },
        astTransformers: { before: [{ path: '@troupe/transformer/jest' }] },
      },
    ],
  },
};
