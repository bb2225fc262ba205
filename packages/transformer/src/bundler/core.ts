import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileAnalysis } from '../analyze';
import { formatDiagnostic } from '../diagnostics';
import { createTransformer, flushManifests, type TroupeTransformerConfig } from '../transformer';
import { ts } from '../typescript';

/** Options of the esbuild and Vite plugins. */
export interface TroupePluginOptions extends TroupeTransformerConfig {
  /**
   * The tsconfig whose program the analysis reads (the type checker decides the kinds).
   * @default 'tsconfig.json' in the working folder
   */
  tsconfig?: string;
}

/** One `.ts` file through the analysis: JavaScript with decorators lowered and info injected. */
export interface CompiledFile {
  code: string;
  map: string | undefined;
  /** The file declares actors a worker loads. */
  hasActors: boolean;
  /** The worker bundle's JavaScript, where the module needs one (top-level effects). */
  workerBundle: string | undefined;
}

/** The registry key a bundle gives a module, and its worker bundle's. */
export function registryKeys(root: string, fileName: string): { module: string; bundle: string } {
  const rel = path.relative(root, fileName).split(path.sep).join('/');
  const module = `troupe-bundle:///${rel}`;
  return { module, bundle: `${module}?worker` };
}

export const TS_FILE = /\.[cm]?tsx?$/;

/**
 * The analysis for bundlers: a program over the tsconfig (rebuilt from the old one when a file
 * changes), each file emitted by TypeScript with the Troupe transformer, so that the kinds are the
 * checker's, as under `tspc`. `where` says how workers find the modules at run time: registry keys
 * (a single-file bundle), or the files of a build written elsewhere (Vite, vitest).
 */
export class TroupeCompiler {
  readonly configPath: string;
  readonly root: string;
  readonly parsed: ts.ParsedCommandLine;
  private program: ts.Program | undefined;
  private readonly cache = new Map<string, { text: string; compiled: CompiledFile }>();

  constructor(
    readonly options: TroupePluginOptions,
    private readonly where: 'registry' | { outDir: string },
    cwd = process.cwd(),
  ) {
    this.configPath = path.resolve(cwd, options.tsconfig ?? 'tsconfig.json');
    this.root = path.dirname(this.configPath);
    let failure: ts.Diagnostic | undefined;
    const overrides: ts.CompilerOptions = {
      noEmit: false,
      declaration: false,
      declarationMap: false,
      emitDeclarationOnly: false,
      composite: false,
      incremental: false,
      sourceMap: true,
      inlineSourceMap: false,
      inlineSources: true,
    };
    if (where !== 'registry') overrides.outDir = where.outDir;
    const parsed = fs.existsSync(this.configPath)
      ? ts.getParsedCommandLineOfConfigFile(this.configPath, overrides, {
          ...ts.sys,
          onUnRecoverableConfigFileDiagnostic: (d) => {
            failure = d;
          },
        })
      : undefined;
    if (!parsed || failure) {
      const why = failure ? `: ${ts.flattenDiagnosticMessageText(failure.messageText, '\n')}` : '';
      throw new Error(
        `@troupe/transformer: cannot read ${this.configPath}${why}. The plugins decide actor ` +
          'kinds with the type checker over that project: create it (npx troupe init), or pass ' +
          "{ tsconfig: 'path/to/tsconfig.json' }.",
      );
    }
    this.parsed = parsed;
  }

  /** The program, current with what is on disk now. */
  private programFor(fileName: string): ts.Program {
    const current = this.program;
    const onDisk = ts.sys.readFile(fileName);
    const known = current?.getSourceFile(fileName);
    if (current && known && known.text === onDisk) return current;
    const rootNames = this.parsed.fileNames.includes(fileName)
      ? this.parsed.fileNames
      : [...this.parsed.fileNames, fileName];
    this.program = ts.createProgram({
      rootNames,
      options: this.parsed.options,
      projectReferences: this.parsed.projectReferences,
      oldProgram: current,
    });
    this.cache.clear();
    return this.program;
  }

  /** The files of the project that may declare actors. */
  sourceFiles(): string[] {
    return this.parsed.fileNames.filter((f) => TS_FILE.test(f) && !f.endsWith('.d.ts'));
  }

  /**
   * Writes the build workers load into the `outDir` given (Vite, vitest), as `tspc` would: the
   * whole project, or one file that changed.
   */
  emitToDisk(fileName?: string): void {
    if (this.where === 'registry') return;
    const program = this.programFor(fileName ?? this.sourceFiles()[0] ?? this.configPath);
    const transformer = createTransformer({
      program,
      config: this.options,
      report: (diagnostic) => process.stderr.write(formatDiagnostic(diagnostic)),
    });
    const sourceFile = fileName ? program.getSourceFile(fileName) : undefined;
    program.emit(sourceFile, undefined, undefined, false, { before: [transformer] });
    flushManifests();
  }

  compile(fileName: string): CompiledFile {
    const stale = this.program?.getSourceFile(fileName)?.text !== ts.sys.readFile(fileName);
    const program = this.programFor(fileName);
    const sourceFile = program.getSourceFile(fileName);
    if (!sourceFile) throw new Error(`@troupe/transformer: ${fileName} is not in the program.`);
    const cached = this.cache.get(fileName);
    if (cached?.text === sourceFile.text) return cached.compiled;
    if (stale && this.where !== 'registry') this.emitToDisk(fileName);
    let analysis: FileAnalysis | undefined;
    const errors: string[] = [];
    const registry = this.where === 'registry';
    const transformer = createTransformer({
      program,
      config: { ...this.options, bundles: false },
      compiledOutput: registry
        ? undefined
        : { options: this.parsed.options, rootNames: this.parsed.fileNames },
      registryKeys: registry ? (sf) => registryKeys(this.root, sf.fileName) : undefined,
      report: (diagnostic) => {
        const text = formatDiagnostic(diagnostic);
        if (diagnostic.category === ts.DiagnosticCategory.Error) errors.push(text);
        else process.stderr.write(text);
      },
      settle: (_, result) => {
        analysis = result;
      },
    });
    let code = '';
    let map: string | undefined;
    const emitted = program.emit(
      sourceFile,
      (name, text) => {
        if (name.endsWith('.map')) map = text;
        else if (/\.[cm]?js$/.test(name)) code = text;
      },
      undefined,
      false,
      { before: [transformer] },
    );
    if (emitted.emitSkipped) {
      throw new Error(`@troupe/transformer: TypeScript emitted nothing for ${fileName}.`);
    }
    if (errors.length) throw new Error(`@troupe/transformer:\n${errors.join('')}`);
    code = code.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
    const found = analysis as FileAnalysis | undefined;
    const compiled: CompiledFile = {
      code,
      map,
      hasActors: !!found?.actors.length,
      workerBundle: found?.bundle?.text,
    };
    this.cache.set(fileName, { text: sourceFile.text, compiled });
    return compiled;
  }
}
