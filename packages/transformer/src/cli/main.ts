#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from './build';
import { init } from './init';
import { ConfigError, loadProjects, resolveConfigPath } from './project';

const usage = `Usage:
  troupe check [-p tsconfig.json] [-b]        report TROUPE1xx diagnostics; exit 1 on errors
  troupe build [-p tsconfig.json] [-b] [--watch] [--outDir dir]
                                              after your compiler (tsc 6 or 7, esbuild, swc):
                                              add the actor info, worker bundles and manifest
                                              (--outDir: where that compiler wrote the JS)
  troupe init [--no-install]                  add Troupe to the npm project in this folder
-b (or -p with a solution tsconfig) handles every referenced project too.`;

interface Args {
  command: string | undefined;
  project: string | undefined;
  outDir: string | undefined;
  watch: boolean;
  install: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    command: argv[0],
    project: undefined,
    outDir: undefined,
    watch: false,
    install: true,
  };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-p' || a === '--project') args.project = argv[++i];
    // Referenced projects are always handled; -b is accepted as tsc -b users type it.
    else if (a === '-b' || a === '--build') {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-')) args.project = argv[++i];
    } else if (a === '-w' || a === '--watch') args.watch = true;
    else if (a === '--outDir') args.outDir = argv[++i];
    else if (a === '--no-install') args.install = false;
    else throw new ConfigError(`unknown option ${a}\n${usage}`);
  }
  return args;
}

function once(args: Args, write: boolean): number {
  const configPath = resolveConfigPath(args.project);
  const projects = loadProjects(configPath, true, args.outDir);
  const print = (text: string) => process.stdout.write(text);
  const result = run(projects, write, print);
  const summary =
    `troupe ${write ? 'build' : 'check'}: ${result.modules} module(s) with actors, ` +
    `${result.errors} error(s), ${result.warnings} warning(s)\n`;
  process.stdout.write(summary);
  return result.errors > 0 || process.exitCode === 1 ? 1 : 0;
}

/** Rebuilds when sources or the compiler's output change; our own writes settle at once. */
function watch(args: Args): void {
  const configPath = resolveConfigPath(args.project);
  let timer: NodeJS.Timeout | undefined;
  const rebuild = () => {
    timer = undefined;
    try {
      once(args, true);
    } catch (error) {
      process.stderr.write(`troupe build: ${error instanceof Error ? error.message : error}\n`);
    }
  };
  rebuild();
  const dirs = new Set<string>();
  for (const { parsed } of loadProjects(configPath, true, args.outDir)) {
    dirs.add(path.dirname(configPath));
    if (parsed.options.outDir) dirs.add(parsed.options.outDir);
  }
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true });
    fs.watch(dir, { recursive: true }, (_, file) => {
      if (!file || /node_modules|troupe-manifest\.json|\.troupe\.[cm]?js$/.test(String(file)))
        return;
      // Compilers write many files at once: build once they are done.
      if (timer) clearTimeout(timer);
      timer = setTimeout(rebuild, 200);
    });
  }
  process.stdout.write('troupe build: watching for changes\n');
}

function main(argv: string[]): number {
  const args = parseArgs(argv);
  switch (args.command) {
    case 'check':
      return once(args, false);
    case 'build':
      if (args.watch) {
        watch(args);
        return 0;
      }
      return once(args, true);
    case 'init': {
      const changes = init(process.cwd(), args.install);
      process.stdout.write(
        changes.length
          ? `troupe init changed:\n${changes.map((c) => `  ${c}\n`).join('')}` +
              'Build with: npx tsc && npx troupe build (or npx tspc on TypeScript 6)\n'
          : 'troupe init: nothing to change\n',
      );
      return 0;
    }
    default:
      process.stdout.write(`${usage}\n`);
      return args.command === undefined || args.command === 'help' ? 0 : 2;
  }
}

try {
  const code = main(process.argv.slice(2));
  if (code) process.exitCode = code;
} catch (error) {
  process.stderr.write(`troupe: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
