import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ts } from '../typescript';

const plugin = { transform: '@troupe/transformer' };

/** The version range of the Troupe packages that match this transformer. */
function troupeRange(): string {
  const own = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));
  return `^${own.version}`;
}

type Json = Record<string, unknown>;

/**
 * `troupe init`: makes an existing npm project build actors. Adds `@troupe/runtime` and
 * `@troupe/transformer` (and `@types/node`, `typescript` where missing) to package.json, makes it
 * an ES module package, and gives tsconfig.json `module: NodeNext`, `types: ["node"]` and the
 * plugin line (read by tspc on TypeScript 6; `tsc && troupe build` needs none). Returns what it
 * changed, one line each; runs `npm install` unless told not to.
 */
export function init(dir: string, install: boolean): string[] {
  const changes: string[] = [];
  const packagePath = path.join(dir, 'package.json');
  if (!fs.existsSync(packagePath)) {
    throw new Error(`no package.json in ${dir}: run npm init -y first, then troupe init.`);
  }
  const pkg = JSON.parse(fs.readFileSync(packagePath, 'utf8')) as Json;
  pkg.dependencies ??= {};
  pkg.devDependencies ??= {};
  pkg.scripts ??= {};
  const deps = pkg.dependencies as Record<string, string>;
  const devDeps = pkg.devDependencies as Record<string, string>;
  const has = (name: string) => name in deps || name in devDeps;
  const add = (where: Record<string, string>, field: string, name: string, range: string) => {
    if (has(name)) return;
    where[name] = range;
    changes.push(`package.json: ${field}.${name} = ${range}`);
  };
  add(deps, 'dependencies', '@troupe/runtime', troupeRange());
  add(devDeps, 'devDependencies', '@troupe/transformer', troupeRange());
  add(devDeps, 'devDependencies', '@types/node', '^20');
  add(devDeps, 'devDependencies', 'typescript', '>=6.0.3');
  if (pkg.type !== 'module') {
    changes.push(`package.json: type = "module" (was ${JSON.stringify(pkg.type ?? 'commonjs')})`);
    pkg.type = 'module';
  }
  const scripts = pkg.scripts as Record<string, string>;
  if (!scripts.build) {
    scripts.build = 'tsc && troupe build';
    changes.push('package.json: scripts.build = "tsc && troupe build"');
  }
  fs.writeFileSync(packagePath, `${JSON.stringify(pkg, null, 2)}\n`);

  const configPath = path.join(dir, 'tsconfig.json');
  let config: Json;
  if (fs.existsSync(configPath)) {
    const read = ts.readConfigFile(configPath, ts.sys.readFile);
    if (read.error) {
      throw new Error(
        `cannot read ${configPath}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`,
      );
    }
    config = read.config as Json;
  } else {
    config = { compilerOptions: {}, include: ['src'] };
    changes.push('tsconfig.json: created (include: ["src"])');
  }
  config.compilerOptions ??= {};
  const options = config.compilerOptions as Json;
  const set = (key: string, value: unknown, when: (current: unknown) => boolean) => {
    if (!when(options[key])) return;
    changes.push(`tsconfig.json: compilerOptions.${key} = ${JSON.stringify(value)}`);
    options[key] = value;
  };
  const missing = (v: unknown) => v === undefined;
  set('target', 'ES2022', missing);
  set('module', 'NodeNext', (v) => typeof v !== 'string' || !/^node(16|18|20|next)$/i.test(v));
  set('moduleResolution', 'NodeNext', (v) => v !== undefined && !/^node(16|next)$/i.test(`${v}`));
  set('strict', true, missing);
  set('skipLibCheck', true, missing);
  set('outDir', 'dist', missing);
  if (!fs.existsSync(configPath)) set('rootDir', 'src', missing);
  const types = options.types;
  if (!Array.isArray(types) || !types.includes('node')) {
    options.types = [...(Array.isArray(types) ? types : []), 'node'];
    changes.push(`tsconfig.json: compilerOptions.types = ${JSON.stringify(options.types)}`);
  }
  const plugins = Array.isArray(options.plugins) ? (options.plugins as Json[]) : [];
  if (!plugins.some((p) => p.transform === plugin.transform)) {
    options.plugins = [...plugins, plugin];
    changes.push(
      'tsconfig.json: compilerOptions.plugins += { "transform": "@troupe/transformer" }',
    );
  }
  if (changes.some((c) => c.startsWith('tsconfig.json'))) {
    fs.writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
    if (fs.existsSync(configPath) && !changes.includes('tsconfig.json: created (include: ["src"])'))
      changes.push('tsconfig.json: rewritten as plain JSON (comments are not kept)');
  }
  if (install) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const done = spawnSync(npm, ['install', '--no-audit', '--no-fund'], {
      cwd: dir,
      stdio: 'inherit',
    });
    if (done.status !== 0) throw new Error('npm install failed; fix it and run npm install again.');
    changes.push('ran npm install');
  }
  return changes;
}
