import { Code, fileLessDiagnostic, formatDiagnostic } from './diagnostics';
import { createTransformer, type TroupeTransformerConfig } from './transformer';
import { ts } from './typescript';

export type { CompiledActorInfo } from '@troupe/contract';
export { Code as DiagnosticCode } from './diagnostics';
export type { Manifest, ManifestActor } from './emit/manifest';
export type { TroupeTransformerConfig } from './transformer';
export { flushManifests } from './transformer';

/** What ts-patch passes a program-type plugin besides the program and its config entry. */
export interface TransformerExtras {
  /** The compiler running the plugin: the user's TypeScript. */
  ts: { versionMajorMinor: string; version: string };
  addDiagnostic?: (diagnostic: ts.Diagnostic) => number;
}

/**
 * The ts-patch entry, configured as `"plugins": [{ "transform": "@troupe/transformer" }]`.
 * Adds the compiled actor info to each `@actor(...)` call, writes worker bundles and
 * `troupe-manifest.json`, and reports TROUPE1xx diagnostics through the compiler.
 *
 * The analysis runs on Troupe's own TypeScript 6.0 over the user's program, so the user's compiler
 * must be a 6.0 too: syntax kinds and flags are numbered per version. Any other version gets one
 * error saying to build with `tsc && troupe build`, which needs no plugin at all.
 */
export default function troupeTransformer(
  program: ts.Program,
  config: TroupeTransformerConfig = {},
  extras?: TransformerExtras,
): ts.TransformerFactory<ts.SourceFile> {
  const report = (diagnostic: ts.Diagnostic) => {
    if (extras?.addDiagnostic) extras.addDiagnostic(diagnostic);
    else process.stderr.write(formatDiagnostic(diagnostic));
  };
  const theirs = extras?.ts.versionMajorMinor;
  if (theirs && theirs !== ts.versionMajorMinor) {
    report(
      fileLessDiagnostic(
        Code.unsupportedCompiler,
        `the Troupe plugin analyses with TypeScript ${ts.versionMajorMinor}, and this compiler is ` +
          `TypeScript ${extras?.ts.version}: its syntax trees are not ones the analysis can read, ` +
          'so no actor was compiled.',
      ),
    );
    return () => (sourceFile) => sourceFile;
  }
  return createTransformer({ program, config, report });
}
