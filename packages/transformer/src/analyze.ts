import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { actorChecks, fileChecks, moduleChecks } from './checks';
import type { TransformContext } from './context';
import type { Finding } from './diagnostics';
import { type ActorClass, findActors } from './discover/actors';
import { type Extraction, extractActors } from './discover/extraction';
import { classifyModule } from './discover/module-shape';
import { bundleSource, compileBundle } from './emit/bundle';
import type { ActorMeta, ModuleUrl } from './emit/meta';
import { bundlePathFor, emitsEsm, jsOutputPath } from './emit/output-paths';
import type { ts } from './typescript';

/** Where a file's compiled output is: the program's own emit, or another build's (ts-jest). */
export interface OutputSetup {
  options: ts.CompilerOptions;
  rootNames: readonly string[];
  /** The output is not this compilation's (ts-jest): the module URL is the output file's. */
  elsewhere?: boolean;
  /**
   * Whether a file's output is an ES module, when another compiler wrote it (`troupe build` reads
   * it from the JavaScript): the options only say what tsc would have written.
   */
  esmOf?: (sourceFile: ts.SourceFile, jsPath: string | undefined) => boolean | undefined;
  /**
   * Where a bundler's output finds the module and its worker bundle at run time, when not in
   * files: keys of the registry the bundle gives the runtime (the esbuild and Vite plugins).
   */
  registryKeys?: (sourceFile: ts.SourceFile) => { module: string; bundle: string };
}

export interface AnalyzedActor {
  actor: ActorClass;
  info: ActorMeta;
}

/** Everything the flow found for one source file: what to report, inject and write. */
export interface FileAnalysis {
  findings: Finding[];
  /** Every `@actor` class, in source order (emitted code keeps that order). */
  discovered: ActorClass[];
  /** Actors a worker can load, with the compiled info to inject into their `@actor` call. */
  actors: AnalyzedActor[];
  moduleUrl: ModuleUrl;
  esm: boolean;
  jsPath: string | undefined;
  /** The worker bundle to write (only when asked for and a checker was there). */
  bundle: { path: string; text: string } | undefined;
  /** Where a bundle would be: a stale one there is removed when this module needs none. */
  bundlePath: string | undefined;
}

/**
 * One source file through the flow: discover its actors, run the checks, plan the worker bundle.
 * Shared by the ts-patch plugin and `troupe build`/`check`, which differ only in how they emit.
 */
export function analyzeFile(
  ctx: TransformContext,
  sourceFile: ts.SourceFile,
  output: OutputSetup,
  wantBundle: boolean,
): FileAnalysis {
  const { checker } = ctx;
  const jsPath = jsOutputPath(output.options, output.rootNames, sourceFile.fileName);
  const keys = output.registryKeys?.(sourceFile);
  // A bundler reads ES modules and writes whatever format it was asked for.
  const esm = keys
    ? true
    : (output.esmOf?.(sourceFile, jsPath) ?? emitsEsm(output.options, sourceFile));
  const bundlePath = jsPath && bundlePathFor(jsPath);
  let moduleUrl: ModuleUrl = { kind: esm ? 'esm' : 'cjs' };
  if (output.elsewhere && jsPath) moduleUrl = { kind: 'fixed', url: pathToFileURL(jsPath).href };
  if (keys) moduleUrl = { kind: 'fixed', url: keys.module };
  const result: FileAnalysis = {
    findings: [],
    discovered: [],
    actors: [],
    moduleUrl,
    esm,
    jsPath,
    bundle: undefined,
    bundlePath,
  };
  result.findings.push(...fileChecks(ctx, sourceFile));
  // No decorator, no actor.
  if (!sourceFile.text.includes('@')) return result;
  const actors = findActors(ctx, sourceFile);
  if (!actors.length) return result;
  result.discovered = actors;

  for (const actor of actors) {
    for (const check of actorChecks) result.findings.push(...check(ctx, actor));
  }
  const placeable = actors.filter((a) => a.placeable);
  const shape = classifyModule(sourceFile);
  const needsBundle =
    placeable.length > 0 && (!shape.threadSafe || placeable.some((a) => !a.exportName));
  const bundleUrl =
    needsBundle && keys
      ? keys.bundle
      : needsBundle && bundlePath
        ? moduleUrl.kind === 'fixed'
          ? pathToFileURL(bundlePath).href
          : `./${path.basename(bundlePath)}`
        : undefined;
  result.actors = placeable.map((actor) => {
    const info: ActorMeta = {
      exportName: actor.exportName ?? (actor.name as string),
      kind: actor.kind,
      methods: actor.methods.map((m) => [m.name, m.async]),
    };
    if (bundleUrl) info.bundle = bundleUrl;
    return { actor, info };
  });

  let extraction: Extraction | undefined;
  let loadedStatements: readonly ts.Statement[] = sourceFile.statements;
  if (needsBundle && checker) {
    extraction = extractActors({ ...ctx, checker }, sourceFile, placeable, shape);
    loadedStatements = extraction.statements;
    if (wantBundle && jsPath && bundlePath) {
      const source = bundleSource(
        sourceFile,
        extraction.statements,
        result.actors,
        keys ? moduleUrl : { kind: 'sibling', esm, file: path.basename(jsPath) },
      );
      result.bundle = {
        path: bundlePath,
        text: compileBundle(source, output.options, sourceFile.fileName, esm),
      };
    }
  }
  result.findings.push(
    ...moduleChecks(ctx, { sourceFile, placeable, loadedStatements, extraction }),
  );
  return result;
}
