import type * as ts from 'typescript';
import { createTransformer, type TroupeTransformerConfig } from './transformer';

export { Code as DiagnosticCode } from './diagnostics';
export type { CompiledActorInfo } from './emit/meta';
export type { TroupeTransformerConfig } from './transformer';

/** What ts-patch passes a program-type plugin besides the program and its config entry. */
export interface TransformerExtras {
  ts: typeof ts;
  addDiagnostic?: (diagnostic: ts.Diagnostic) => number;
}

/**
 * The ts-patch entry, configured as `"plugins": [{ "transform": "@troupe/transformer" }]`.
 * Adds the compiled actor info to each `@actor(...)` call, writes worker bundles, and reports
 * TROUPE1xx diagnostics through the compiler.
 */
export default function troupeTransformer(
  program: ts.Program,
  config: TroupeTransformerConfig = {},
  extras?: TransformerExtras,
): ts.TransformerFactory<ts.SourceFile> {
  // Prefer the compiler instance ts-patch runs: a second copy of TypeScript has other enums.
  const tsi = extras?.ts ?? (require('typescript') as typeof ts);
  return createTransformer({
    tsi,
    program,
    config,
    report: (diagnostic) => {
      if (extras?.addDiagnostic) extras.addDiagnostic(diagnostic);
      else reportToConsole(tsi, diagnostic);
    },
  });
}

function reportToConsole(tsi: typeof ts, diagnostic: ts.Diagnostic): void {
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => '\n',
  };
  process.stderr.write(tsi.formatDiagnostic(diagnostic, host));
}
