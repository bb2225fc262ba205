import * as fs from 'node:fs';

export const rebuild =
  'Run the build (tspc, or tsc && troupe build) before jest, e.g. "pretest": "npm run build".';

/**
 * Runs first in each test module of `@troupe/transformer/jest` that declares actors: workers load
 * the build, never ts-jest's code, so a build older than its source would test other code than
 * the test reads. Throws, so the test file fails to load with the fix.
 */
export function assertFreshBuild(source: string, build: string): void {
  let built: number;
  try {
    built = fs.statSync(build).mtimeMs;
  } catch {
    throw new Error(
      `@troupe/transformer/jest: ${source} declares actors whose workers load its build, and ` +
        `there is none at ${build}. ${rebuild}`,
    );
  }
  if (fs.statSync(source).mtimeMs > built) {
    throw new Error(
      `@troupe/transformer/jest: ${build} is older than ${source}, so the actors' workers would ` +
        `run the old code while this test reads the new. ${rebuild}`,
    );
  }
}
