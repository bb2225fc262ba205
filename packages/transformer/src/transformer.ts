import { analyzeFile, type FileAnalysis, type OutputSetup } from './analyze';
import type { TransformContext } from './context';
import { Code, isIgnored, toDiagnostic } from './diagnostics';
import { RuntimeSymbols } from './discover/runtime-symbols';
import { removeStaleBundle, writeBundle } from './emit/bundle';
import { ManifestWriter } from './emit/manifest';
import { metaExpression } from './emit/meta';
import { outputRoot } from './emit/output-paths';
import { ts } from './typescript';

/** Options of the plugin entry in tsconfig.json (`{ "transform": "@troupe/transformer", ... }`). */
export interface TroupeTransformerConfig {
  /**
   * The module the decorators are imported from.
   * @default '@troupe/runtime'
   */
  runtimeModule?: string;
  /**
   * Write `<module>.troupe.js` worker bundles (and `troupe-manifest.json`) beside the compiled
   * output.
   * @default true
   */
  bundles?: boolean;
}

export interface TransformerSetup {
  /** Absent when ts-jest compiles files in isolation: analysis is then syntactic only. */
  program: ts.Program | undefined;
  config: TroupeTransformerConfig;
  report: (diagnostic: ts.Diagnostic) => void;
  /**
   * Where the compiled output of a file is, when it is not what this compilation emits (ts-jest):
   * META then names that file by absolute URL, and bundles are left to `tspc`.
   */
  compiledOutput?: { options: ts.CompilerOptions; rootNames: readonly string[] };
  /**
   * Runs on each file's analysis before its info is injected: ts-jest checks there that the
   * build the workers load is there and current, and takes the kinds from it without a checker.
   */
  settle?: (sourceFile: ts.SourceFile, analysis: FileAnalysis) => void;
  /**
   * A bundler's registry keys for each module (the esbuild and Vite plugins): nothing is written,
   * and the worker bundle's text goes to `settle` in `analysis.bundle`.
   */
  registryKeys?: OutputSetup['registryKeys'];
  /** Statements to put first in a file that declares actors (ts-jest's check of the build). */
  prologue?: (
    factory: ts.NodeFactory,
    sourceFile: ts.SourceFile,
    analysis: FileAnalysis,
  ) => ts.Statement[];
}

export function createContext(program: ts.Program | undefined, runtimeModule?: string) {
  const ctx: TransformContext = {
    program,
    checker: program?.getTypeChecker(),
    runtime: new RuntimeSymbols(program, runtimeModule ?? '@troupe/runtime'),
  };
  return ctx;
}

/** Reports each finding once per program (watch mode and `-b` transform files again). */
export function reporter(key: object, report: (d: ts.Diagnostic) => void) {
  const reported = reportedOnce(key);
  return (analysis: Pick<FileAnalysis, 'findings'>): void => {
    for (const finding of analysis.findings) {
      if (isIgnored(finding)) continue;
      const diagnostic = toDiagnostic(finding);
      const key = `${diagnostic.file?.fileName}:${diagnostic.start}:${diagnostic.code}`;
      if (reported.has(key)) continue;
      reported.add(key);
      report(diagnostic);
    }
  };
}

/** The analysis of a file, or TROUPE100 when it fails: a bug must not break the user's build. */
export function analyzeOrReport(
  ctx: TransformContext,
  sourceFile: ts.SourceFile,
  output: OutputSetup,
  wantBundle: boolean,
  report: (d: ts.Diagnostic) => void,
): FileAnalysis | undefined {
  try {
    return analyzeFile(ctx, sourceFile, output, wantBundle);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const finding = {
      code: Code.internalError,
      node: sourceFile,
      message: `the Troupe transformer failed on this file: ${message}`,
    };
    report(toDiagnostic(finding));
    return undefined;
  }
}

const manifestsByProgram = new WeakMap<object, ManifestWriter>();
const unwritten = new Set<ManifestWriter>();

/**
 * Writes the manifests of the builds that ran in this process. The compiler writes each file
 * after transforming it, so the manifest (which hashes those files) waits until the emit is over:
 * the next turn of the event loop in watch mode, the exit of `tspc` otherwise.
 */
export function flushManifests(): void {
  for (const writer of unwritten) {
    try {
      writer.write();
    } catch (error) {
      process.stderr.write(
        `troupe: could not write ${writer.dir}/troupe-manifest.json: ${error}\n`,
      );
    }
  }
  unwritten.clear();
}

function scheduleManifest(writer: ManifestWriter): void {
  if (unwritten.has(writer)) return;
  if (!unwritten.size) setImmediate(flushManifests).unref();
  unwritten.add(writer);
}
process.once('exit', flushManifests);

export function createTransformer(setup: TransformerSetup): ts.TransformerFactory<ts.SourceFile> {
  const { program, config } = setup;
  const ctx = createContext(program, config.runtimeModule);
  const report = reporter(program ?? setup, setup.report);
  const writes =
    config.bundles !== false && !setup.compiledOutput && !setup.registryKeys && !!ctx.checker;
  const options = setup.compiledOutput?.options ?? program?.getCompilerOptions() ?? {};
  const output: OutputSetup = {
    options,
    rootNames: setup.compiledOutput?.rootNames ?? program?.getRootFileNames() ?? [],
    elsewhere: !!setup.compiledOutput,
    registryKeys: setup.registryKeys,
  };
  let manifest: ManifestWriter | undefined;
  if (writes && program) {
    manifest = manifestsByProgram.get(program) ?? new ManifestWriter(outputRoot(options));
    manifestsByProgram.set(program, manifest);
  }
  return (context) => (sourceFile) => {
    if (sourceFile.isDeclarationFile) return sourceFile;
    const wantBundle = writes || (!!setup.registryKeys && !!ctx.checker);
    const result = analyzeOrReport(ctx, sourceFile, output, wantBundle, setup.report);
    if (!result) return sourceFile;
    report(result);
    setup.settle?.(sourceFile, result);
    if (writes) {
      if (result.bundle) writeBundle(result.bundle.path, result.bundle.text);
      else if (result.bundlePath) removeStaleBundle(result.bundlePath);
      if (manifest && result.jsPath) {
        const actors = result.actors.map(({ info }) => info);
        manifest.set(result.jsPath, actors, result.bundle?.path);
        scheduleManifest(manifest);
      }
    }
    if (!result.actors.length) return sourceFile;
    // The compiler's own factory: these nodes go into its emit.
    const { factory } = context;
    const metas = new Map(result.actors.map(({ actor, info }) => [actor.call as ts.Node, info]));
    const visit = (node: ts.Node): ts.Node => {
      if (ts.isCallExpression(node)) {
        const info = metas.get(node);
        if (info) {
          const options = node.arguments[0] ?? factory.createVoidZero();
          return factory.updateCallExpression(node, node.expression, node.typeArguments, [
            options,
            metaExpression(factory, info, result.moduleUrl),
          ]);
        }
      }
      return ts.visitEachChild(node, visit, context);
    };
    const visited = ts.visitNode(sourceFile, visit) as ts.SourceFile;
    const prologue = setup.prologue?.(factory, sourceFile, result) ?? [];
    if (!prologue.length) return visited;
    return factory.updateSourceFile(visited, [...prologue, ...visited.statements]);
  };
}

const reportedByProgram = new WeakMap<object, Set<string>>();

function reportedOnce(key: object): Set<string> {
  const known = reportedByProgram.get(key);
  if (known) return known;
  const created = new Set<string>();
  reportedByProgram.set(key, created);
  return created;
}
