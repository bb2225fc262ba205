import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ts from 'typescript';
import { type AnalysisContext, findActors } from './analyze/actors';
import { checkActorShape } from './analyze/checks';
import { checkCloneable } from './analyze/cloneable';
import { extractActors } from './analyze/extraction';
import { classifyModule, programCode } from './analyze/module-shape';
import { type LoadedModule, loadedModules, moduleStateFindings } from './analyze/module-state';
import { RuntimeSymbols } from './analyze/runtime-symbols';
import { checkThreadedMutations } from './analyze/thread-safety';
import { Code, type Finding, isIgnored, toDiagnostic } from './diagnostics';
import {
  bundlePathFor,
  bundleSource,
  compileBundle,
  emitsEsm,
  jsOutputPath,
  removeStaleBundle,
  writeBundle,
} from './emit/bundle';
import {
  type CompiledActorInfo,
  type ModuleUrl,
  metaExpression,
  moduleUrlExpression,
} from './emit/meta';

/** Options of the plugin entry in tsconfig.json (`{ "transform": "@troupe/transformer", ... }`). */
export interface TroupeTransformerConfig {
  /**
   * The module the decorators are imported from.
   * @default '@troupe/runtime'
   */
  runtimeModule?: string;
  /**
   * Write `<module>.troupe.js` worker bundles beside the compiled output.
   * @default true
   */
  bundles?: boolean;
}

export interface TransformerSetup {
  tsi: typeof ts;
  /** Absent when ts-jest compiles files in isolation: analysis is then syntactic only. */
  program: ts.Program | undefined;
  config: TroupeTransformerConfig;
  report: (diagnostic: ts.Diagnostic) => void;
  /**
   * Where the compiled output of a file is, when it is not what this compilation emits (ts-jest):
   * META then names that file by absolute URL, and bundles are left to `tspc`.
   */
  compiledOutput?: { options: ts.CompilerOptions; rootNames: readonly string[] };
}

const reportedByProgram = new WeakMap<object, Set<string>>();

export function createTransformer(setup: TransformerSetup): ts.TransformerFactory<ts.SourceFile> {
  const { tsi, program, config } = setup;
  const checker = program?.getTypeChecker();
  const ctx: AnalysisContext = {
    tsi,
    program,
    checker,
    runtime: new RuntimeSymbols(tsi, program, config.runtimeModule ?? '@troupe/runtime'),
  };
  const reported = reportedOnce(program ?? setup);
  return (context) => (sourceFile) => {
    if (sourceFile.isDeclarationFile) return sourceFile;
    let result: FileResult;
    try {
      result = analyzeFile(ctx, setup, sourceFile);
    } catch (error) {
      // A bug in the analysis must not break the user's build: compile the file untouched.
      const message = error instanceof Error ? error.message : String(error);
      const finding = {
        code: Code.internalError,
        node: sourceFile,
        message: `the Troupe transformer failed on this file: ${message}`,
      };
      setup.report(toDiagnostic(tsi, finding));
      return sourceFile;
    }
    for (const finding of result.findings) {
      if (isIgnored(finding)) continue;
      const diagnostic = toDiagnostic(tsi, finding);
      const key = `${diagnostic.file?.fileName}:${diagnostic.start}:${diagnostic.code}`;
      if (reported.has(key)) continue;
      reported.add(key);
      setup.report(diagnostic);
    }
    if (!result.metas.size) return sourceFile;
    const { factory } = context;
    const moduleUrl = moduleUrlExpression(factory, tsi, result.moduleUrl);
    const visit = (node: ts.Node): ts.Node => {
      if (tsi.isCallExpression(node)) {
        const info = result.metas.get(node);
        if (info) {
          const options = node.arguments[0] ?? factory.createVoidZero();
          return factory.updateCallExpression(node, node.expression, node.typeArguments, [
            options,
            metaExpression(factory, info, moduleUrl),
          ]);
        }
      }
      return tsi.visitEachChild(node, visit, context);
    };
    return tsi.visitNode(sourceFile, visit) as ts.SourceFile;
  };
}

function reportedOnce(key: object): Set<string> {
  const known = reportedByProgram.get(key);
  if (known) return known;
  const created = new Set<string>();
  reportedByProgram.set(key, created);
  return created;
}

interface FileResult {
  findings: Finding[];
  metas: Map<ts.Node, CompiledActorInfo>;
  moduleUrl: ModuleUrl;
}

function analyzeFile(
  ctx: AnalysisContext,
  setup: TransformerSetup,
  sourceFile: ts.SourceFile,
): FileResult {
  const { tsi, program, checker } = ctx;
  const options = setup.compiledOutput?.options ?? program?.getCompilerOptions() ?? {};
  const rootNames = setup.compiledOutput?.rootNames ?? program?.getRootFileNames() ?? [];
  const esm = emitsEsm(tsi, options, sourceFile);
  // No decorator, no actor (a bundle left from an earlier build stays, referenced by nothing).
  if (!sourceFile.text.includes('@'))
    return { findings: [], metas: new Map(), moduleUrl: { kind: 'esm' } };
  const jsPath = jsOutputPath(tsi, options, rootNames, sourceFile.fileName);
  const bundlePath = jsPath && bundlePathFor(jsPath);
  const writesBundles = setup.config.bundles !== false && !setup.compiledOutput && !!checker;
  const actors = findActors(ctx, sourceFile);
  const metas = new Map<ts.Node, CompiledActorInfo>();
  let moduleUrl: ModuleUrl = { kind: esm ? 'esm' : 'cjs' };
  if (setup.compiledOutput && jsPath)
    moduleUrl = { kind: 'fixed', url: pathToFileURL(jsPath).href };
  if (!actors.length) {
    if (writesBundles && bundlePath) removeStaleBundle(bundlePath);
    return { findings: [], metas, moduleUrl };
  }

  const findings: Finding[] = [];
  for (const actor of actors) {
    findings.push(...checkActorShape(ctx, actor));
    findings.push(...checkThreadedMutations(ctx, actor));
    findings.push(...checkCloneable(ctx, actor));
  }
  const placeable = actors.filter((a) => a.placeable);
  const shape = classifyModule(tsi, sourceFile);
  const needsBundle =
    placeable.length > 0 && (!shape.threadSafe || placeable.some((a) => !a.exportName));
  const bundleUrl =
    needsBundle && bundlePath
      ? moduleUrl.kind === 'fixed'
        ? pathToFileURL(bundlePath).href
        : `./${path.basename(bundlePath)}`
      : undefined;
  const infos = placeable.map((actor) => {
    const info: CompiledActorInfo = {
      exportName: actor.exportName ?? (actor.name as string),
      kind: actor.kind,
      methods: actor.methods.map((m) => [m.name, m.async]),
    };
    if (bundleUrl) info.bundle = bundleUrl;
    metas.set(actor.call, info);
    return { actor, info };
  });

  let loadedStatements: readonly ts.Statement[] = sourceFile.statements;
  if (needsBundle && checker) {
    const extraction = extractActors(tsi, checker, sourceFile, placeable, shape);
    findings.push(...extraction.findings);
    loadedStatements = extraction.statements;
    if (writesBundles && jsPath && bundlePath) {
      const source = bundleSource(
        tsi,
        sourceFile,
        extraction.statements,
        infos,
        path.basename(jsPath),
        esm,
      );
      writeBundle(bundlePath, compileBundle(tsi, source, options, sourceFile.fileName, esm));
    }
  } else if (writesBundles && bundlePath) {
    removeStaleBundle(bundlePath);
  }
  if (checker && program) {
    const loaded = loadedModules(tsi, program, loadedStatements, sourceFile);
    findings.push(...programCodeInImports(tsi, loaded));
    const threaded = placeable.find((a) => a.kind === 'threaded');
    if (threaded) {
      // TROUPE102 over what the threads load: the module (or its bundle) and its imports.
      const name = threaded.name ?? '(anonymous)';
      findings.push(...moduleStateFindings(tsi, checker, sourceFile, name, loadedStatements));
      for (const { module } of loaded)
        findings.push(...moduleStateFindings(tsi, checker, module, name));
    }
  }
  return { findings, metas, moduleUrl };
}

/** TROUPE107 where a worker would load a module that runs program code at its top level. */
function programCodeInImports(tsi: typeof ts, loaded: LoadedModule[]): Finding[] {
  const findings: Finding[] = [];
  const reported = new Set<ts.Statement>();
  for (const { module, via } of loaded) {
    const code = programCode(tsi, module);
    if (!code || reported.has(via)) continue;
    reported.add(via);
    const line = module.getLineAndCharacterOfPosition(code.getStart(module)).line + 1;
    findings.push({
      code: Code.notExtractable,
      node: via,
      message:
        `a worker loading this module's actors loads ${path.basename(module.fileName)}, whose ` +
        `top-level code (line ${line}) would run again in every worker.`,
    });
  }
  return findings;
}
