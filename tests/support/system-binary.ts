/**
 * Suites that need a program from a Debian package (chromium, nats-server): `.ci/run` installs
 * them. Without the program a suite is skipped with one loud line naming the package, unless
 * `CI=true` or `TROUPE_REQUIRE_ALL=1`, where a missing program fails instead.
 */
import { execFileSync } from 'node:child_process';

/** The program's path, or undefined (after saying so) where the suite may be skipped. */
export function systemBinary(
  program: string,
  debianPackage: string,
  suite: string,
): string | undefined {
  let path: string | undefined;
  try {
    path =
      execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    path = undefined;
  }
  if (path !== undefined) return path;
  const message = `${suite} needs ${program}: install Debian's ${debianPackage} package (apt-get install ${debianPackage})`;
  if (process.env.CI === 'true' || process.env.TROUPE_REQUIRE_ALL === '1') {
    throw new Error(`${message}; CI=true or TROUPE_REQUIRE_ALL=1 makes it required.`);
  }
  console.warn(`SKIPPED: ${message}.`);
  return undefined;
}
