/**
 * The examples (examples/) as a user gets them: the workspace packages packed as they would be
 * published, each example copied into a temporary folder outside the workspace and installed
 * there: the `@troupe/*` packages from the tarballs, the tools this repository has in the major
 * version the example asks for (TypeScript 6, ts-patch, tsx, esbuild, Vite, vitest, jest) linked
 * from its node_modules, anything else (TypeScript 7) from npm's one cache, else the registry.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Every example: a folder of examples/ holding a package.json. */
export const exampleNames = fs
  .readdirSync(path.join(root, 'examples'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .filter((name) => fs.existsSync(path.join(root, 'examples', name, 'package.json')))
  .sort();

/** What every example prints: each actor's kind and threads, and a result per kind. */
export const expectedResult = {
  kinds: { Counter: ['serial', 1], Fetcher: ['async', 1], Squarer: ['threaded', 2] },
  results: { serial: [1, 3], async: ['a', 'B'], threaded: [4, 9] },
};

/** The `RESULT {json}` line's object. */
export function resultOf(out: string): unknown {
  const line = out.match(/RESULT (.*)/);
  if (!line?.[1]) throw new Error(`no RESULT in:\n${out}`);
  return JSON.parse(line[1]);
}

/**
 * The environment of a command run in an example: npm's variables for the `npm test` that runs
 * this suite are left out (they would point nested npm commands at this repository), npm's cache
 * and registry settings kept.
 */
export function exampleEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const npmOwn = /^npm_/i.test(key) && !/^npm_config_(cache|registry|userconfig)$/i.test(key);
    if (!npmOwn && key !== 'INIT_CWD') env[key] = value;
  }
  return { ...env, TROUPE_SILENCE_TRANSFORMER_WARNING: '1', ...extra };
}

/** Runs `command` in `cwd`; its status and its output, stdout then stderr. */
export function runIn(
  cwd: string,
  command: string,
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; out: string } {
  const done = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 180000,
    env: exampleEnv(env),
  });
  return { status: done.status, out: `${done.stdout}${done.stderr}${done.error ?? ''}` };
}

/** A packed package, as `npm pack --json` describes it. */
export interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

/** The workspace folders of the repository's package.json. */
export const workspaces: string[] = JSON.parse(
  fs.readFileSync(path.join(root, 'package.json'), 'utf8'),
).workspaces;

/** Packs every workspace package into `dir`, as `npm publish` would. */
export function packWorkspaces(dir: string): Packed[] {
  return JSON.parse(
    execFileSync(
      npm,
      ['pack', '--json', '--pack-destination', dir, ...workspaces.flatMap((w) => ['-w', w])],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: exampleEnv() },
    ),
  );
}

/** The repository's copy of `name` when its major version is the one `range` asks for. */
function linkable(name: string, range: string): string | undefined {
  const manifest = path.join(root, 'node_modules', name, 'package.json');
  if (!fs.existsSync(manifest)) return undefined;
  const version: string = JSON.parse(fs.readFileSync(manifest, 'utf8')).version;
  const major = (v: string) => v.match(/\d+/)?.[0];
  return major(version) === major(range) ? path.dirname(manifest) : undefined;
}

/** Whether the example needs npm's registry (or cache) for a package this repository lacks. */
export function needsRegistry(name: string): boolean {
  const manifest = JSON.parse(
    fs.readFileSync(path.join(root, 'examples', name, 'package.json'), 'utf8'),
  );
  return Object.entries({ ...manifest.dependencies, ...manifest.devDependencies }).some(
    ([dep, range]) => !dep.startsWith('@troupe/') && !linkable(dep, range as string),
  );
}

/** The packed packages `name` depends on, directly or through others. */
function tarballNeeds(name: string, tarballs: Map<string, string>, seen = new Set<string>()) {
  if (!tarballs.has(name) || seen.has(name)) return seen;
  const folder = fs
    .readdirSync(path.join(root, 'packages'))
    .map((p) => path.join(root, 'packages', p, 'package.json'))
    .find((m) => fs.existsSync(m) && JSON.parse(fs.readFileSync(m, 'utf8')).name === name);
  const deps = folder ? JSON.parse(fs.readFileSync(folder, 'utf8')).dependencies : {};
  for (const dep of Object.keys(deps ?? {})) {
    if (tarballs.has(dep) && !seen.has(dep)) {
      seen.add(dep);
      tarballNeeds(dep, tarballs, seen);
    }
  }
  return seen;
}

/**
 * Copies examples/`name` into `dir` and installs its dependencies as the file says: the
 * tarballs for `@troupe/*`, links for the repository's tools, npm's cache first for the rest.
 * The example's folder in `dir`.
 */
export function installExample(name: string, dir: string, tarballs: Map<string, string>): string {
  const app = path.join(dir, name);
  fs.cpSync(path.join(root, 'examples', name), app, { recursive: true });
  const manifestPath = path.join(app, 'package.json');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  let offline = true;
  // What the tarballs depend on among themselves (@troupe/contract) comes from the tarballs too.
  manifest.dependencies = { ...manifest.dependencies };
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })) {
    for (const needed of tarballNeeds(dep, tarballs)) manifest.dependencies[needed] ??= '*';
  }
  for (const field of ['dependencies', 'devDependencies']) {
    const deps: Record<string, string> = manifest[field] ?? {};
    for (const [dep, range] of Object.entries(deps)) {
      const tarball = tarballs.get(dep);
      const link = linkable(dep, range);
      if (tarball) deps[dep] = `file:${tarball}`;
      else if (link) deps[dep] = `file:${link}`;
      else offline = false;
    }
  }
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  const install = runIn(app, npm, [
    'install',
    offline ? '--offline' : '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
  ]);
  if (install.status !== 0) throw new Error(`npm install in ${app} failed:\n${install.out}`);
  return app;
}

/** Runs the example as its package.json says: `npm test` where it has tests, else `npm start`. */
export function runExample(app: string, env: Record<string, string> = {}) {
  const manifest = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8'));
  return runIn(app, npm, [manifest.scripts.test ? 'test' : 'start'], env);
}
