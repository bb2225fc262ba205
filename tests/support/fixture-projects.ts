/**
 * The transformer's fixture projects (tests/transformer/projects), shared by the suites that build
 * them: what each must report, and what their one-file program prints when it runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from '@jest/globals';

export const projects = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../transformer/projects',
);

/**
 * `// expect TROUPE101` markers: the diagnostics a fixture must produce, as `file:line TROUPEnnn`.
 * A marker written `// ^ expect TROUPE101` (where the formatter moves it into a block) means the
 * line above.
 */
export function expectedMarkers(project: string): string[] {
  const base = path.join(projects, project);
  const expected: string[] = [];
  for (const file of fs.readdirSync(base).filter((f) => f.endsWith('.ts'))) {
    fs.readFileSync(path.join(base, file), 'utf8')
      .split('\n')
      .forEach((text, i) => {
        for (const m of text.matchAll(/(\^ )?expect (TROUPE\d{3})/g)) {
          expected.push(`${file}:${m[1] ? i : i + 1} ${m[2]}`);
        }
      });
  }
  return expected.sort();
}

/** The `run/` project's program ran once at top level, and each kind behaved as decided. */
export function expectProgramRan(stdout: string): void {
  expect(stdout.match(/TOP-LEVEL.*/g)).toEqual(['TOP-LEVEL main=true']);
  const result = JSON.parse((stdout.match(/RESULT (.*)/) as RegExpMatchArray)[1] as string);
  expect(result).toMatchObject({
    serial: [1, 3, 6],
    counterInMain: false,
    asyncResult: ['k', true],
    met: [true, true],
    threads: 2,
  });
}
