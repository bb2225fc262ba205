import * as fs from 'node:fs';
import * as path from 'node:path';
import { ts } from '../typescript';

/** A tsconfig, parsed, with the program the analysis reads. */
export interface Project {
  configPath: string;
  parsed: ts.ParsedCommandLine;
  program: ts.Program;
}

export class ConfigError extends Error {}

function parseConfig(configPath: string, overrides: ts.CompilerOptions): ts.ParsedCommandLine {
  let unrecoverable: ts.Diagnostic | undefined;
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, overrides, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      unrecoverable = d;
    },
  });
  const problem = unrecoverable ?? parsed?.errors.find((e) => e.category === 1);
  if (!parsed || problem) {
    const text = problem ? ts.flattenDiagnosticMessageText(problem.messageText, '\n') : '';
    throw new ConfigError(`cannot read ${configPath}: ${text}`);
  }
  return parsed;
}

/** `-p` names a tsconfig or the folder holding one. */
export function resolveConfigPath(given: string | undefined, cwd = process.cwd()): string {
  const target = path.resolve(cwd, given ?? '.');
  const file =
    fs.existsSync(target) && fs.statSync(target).isDirectory()
      ? path.join(target, 'tsconfig.json')
      : target;
  if (!fs.existsSync(file)) {
    throw new ConfigError(
      `no tsconfig at ${file}: pass -p <tsconfig.json>, or run troupe init to create one.`,
    );
  }
  return file;
}

/**
 * The project and, with `references`, every project it references (depth first, each once), as
 * `tsc -b` builds them: references come before the projects that use them.
 */
export function loadProjects(configPath: string, references: boolean, outDir?: string): Project[] {
  const projects: Project[] = [];
  const seen = new Set<string>();
  const visit = (file: string) => {
    const resolved = path.resolve(file);
    if (seen.has(resolved)) return;
    seen.add(resolved);
    // `--outDir` says where another compiler wrote the project's JavaScript (esbuild and swc
    // setups often keep `noEmit` in tsconfig.json); it applies to the project named, not to
    // the projects it references.
    const overrides: ts.CompilerOptions =
      outDir && resolved === path.resolve(configPath)
        ? { outDir: path.resolve(outDir), noEmit: false }
        : {};
    const parsed = parseConfig(resolved, overrides);
    if (references) {
      for (const ref of parsed.projectReferences ?? []) visit(ts.resolveProjectReferencePath(ref));
    }
    // A solution file (`files: []` with references) has nothing of its own to analyse.
    if (!parsed.fileNames.length) return;
    const program = ts.createProgram({
      rootNames: parsed.fileNames,
      options: parsed.options,
      projectReferences: parsed.projectReferences,
    });
    projects.push({ configPath: resolved, parsed, program });
  };
  visit(configPath);
  return projects;
}
