import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileAnalysis } from './analyze';
import { formatDiagnostic } from './diagnostics';
import { MANIFEST_FILE, type Manifest } from './emit/manifest';
import { outputRoot } from './emit/output-paths';
import { assertFreshBuild, rebuild } from './jest-fresh';
import { createTransformer, type TroupeTransformerConfig } from './transformer';
import { ts } from './typescript';

/** Options of the adapter in ts-jest's `astTransformers.before` entry. */
export interface TroupeJestOptions extends TroupeTransformerConfig {
  /**
   * The tsconfig that `tspc` builds the actors with. Workers load that build's output (they cannot
   * load ts-jest's in-memory code), so the injected info names those files.
   * @default ts-jest's own tsconfig
   */
  tsconfig?: string;
}

/** The part of ts-jest's compiler instance the adapter uses. */
interface TsJestCompiler {
  program: ts.Program | undefined;
  configSet: {
    /** ts-jest's TypeScript: its program is analysed with ours, so it must be a 6.0 too. */
    compilerModule: { versionMajorMinor: string; version: string };
    parsedTsConfig: ts.ParsedCommandLine;
  };
}

export const name = '@troupe/transformer';
/** Bump when the output changes, so ts-jest's cache is not reused. */
export const version = 3;

/**
 * ts-jest `astTransformers` adapter:
 * `astTransformers: { before: [{ path: '@troupe/transformer/jest', options: { tsconfig } }] }`.
 * Diagnostics are printed, not thrown: `tspc` is where they fail the build. A test file that
 * declares actors fails to load when the build its workers load is missing or older than its
 * source. Without a program (`isolatedModules`) the analysis reads syntax only, so the kinds and
 * async methods come from the build's `troupe-manifest.json`, never from a guess.
 */
export function factory(
  compiler: TsJestCompiler,
  options: TroupeJestOptions = {},
): ts.TransformerFactory<ts.SourceFile> {
  const theirs = compiler.configSet.compilerModule;
  if (theirs.versionMajorMinor !== ts.versionMajorMinor) {
    process.stderr.write(
      `@troupe/transformer/jest: ts-jest runs TypeScript ${theirs.version} and the analysis needs ` +
        `${ts.versionMajorMinor}, so this file gets no compiled actor info. Workers still load ` +
        'what tsc && troupe build (or tspc) wrote; give ts-jest TypeScript 6.0 to inject it.\n',
    );
    return () => (sourceFile) => sourceFile;
  }
  let parsed = compiler.configSet.parsedTsConfig;
  if (options.tsconfig) {
    parsed =
      ts.getParsedCommandLineOfConfigFile(
        options.tsconfig,
        {},
        {
          ...ts.sys,
          onUnRecoverableConfigFileDiagnostic: () => undefined,
        },
      ) ?? parsed;
  }
  const manifests = new ManifestCache(outputRoot(parsed.options));
  return createTransformer({
    program: compiler.program,
    config: { ...options, bundles: false },
    compiledOutput: { options: parsed.options, rootNames: parsed.fileNames },
    prologue: (factory, sourceFile, analysis) => freshnessCheck(factory, sourceFile, analysis),
    settle: (sourceFile, analysis) =>
      checkBuild(sourceFile, analysis, compiler.program ? undefined : manifests),
    report: (diagnostic) => {
      if (compiler.program) process.stderr.write(formatDiagnostic(diagnostic));
    },
  });
}

/** Reads the build's manifest once per run of the adapter (one jest worker's files). */
class ManifestCache {
  private read: Manifest | undefined;
  constructor(readonly dir: string) {}
  get(): Manifest | undefined {
    if (!this.read) {
      try {
        this.read = JSON.parse(fs.readFileSync(path.join(this.dir, MANIFEST_FILE), 'utf8'));
      } catch {
        return undefined;
      }
    }
    return this.read;
  }
}

/**
 * Workers load the build on disk, never ts-jest's code: a test against a missing or older build
 * would test other code than its source, so it fails to load instead. Without a checker the kinds
 * come from the build's manifest, where the analysis wrote them.
 */
function checkBuild(
  sourceFile: ts.SourceFile,
  analysis: FileAnalysis,
  manifests: ManifestCache | undefined,
): void {
  if (!analysis.actors.length) return;
  const names = analysis.actors.map((a) => a.info.exportName).join(', ');
  const js = analysis.jsPath;
  let built: fs.Stats | undefined;
  try {
    built = js ? fs.statSync(js) : undefined;
  } catch {
    built = undefined;
  }
  if (!js || !built) {
    throw new Error(
      `@troupe/transformer/jest: ${sourceFile.fileName} declares actors (${names}) whose workers ` +
        `load its build, and there is none${js ? ` at ${js}` : ''}. ${rebuild}`,
    );
  }
  assertFreshBuild(sourceFile.fileName, js);
  if (!manifests) return;
  const manifest = manifests.get();
  const module = path.relative(manifests.dir, js).split(path.sep).join('/');
  for (const { info } of analysis.actors) {
    const entry = manifest?.actors.find(
      (a) => a.module === module && a.exportName === info.exportName,
    );
    if (!entry) {
      throw new Error(
        `@troupe/transformer/jest: with isolatedModules there is no type checker here, and ` +
          `${path.join(manifests.dir, MANIFEST_FILE)} does not list ${info.exportName} of ` +
          `${module}, so its kind cannot be known as the build decided it. ${rebuild}`,
      );
    }
    info.kind = entry.kind;
    info.methods = entry.methods;
  }
}

/**
 * `assertFreshBuild(source, build)` first in the transformed file: jest caches transforms, so the
 * check of the build's age runs each time the test loads the file, not only when it is compiled.
 */
function freshnessCheck(
  factory: ts.NodeFactory,
  sourceFile: ts.SourceFile,
  analysis: FileAnalysis,
): ts.Statement[] {
  if (!analysis.actors.length || !analysis.jsPath) return [];
  const local = factory.createUniqueName('assertFreshBuild');
  return [
    factory.createImportDeclaration(
      undefined,
      factory.createImportClause(
        undefined,
        undefined,
        factory.createNamedImports([
          factory.createImportSpecifier(false, factory.createIdentifier('assertFreshBuild'), local),
        ]),
      ),
      factory.createStringLiteral('@troupe/transformer/jest-fresh'),
    ),
    factory.createExpressionStatement(
      factory.createCallExpression(local, undefined, [
        factory.createStringLiteral(sourceFile.fileName),
        factory.createStringLiteral(analysis.jsPath),
      ]),
    ),
  ];
}
