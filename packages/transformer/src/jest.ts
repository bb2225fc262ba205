import { formatDiagnostic } from './diagnostics';
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
    /** ts-jest's TypeScript: the options are parsed with ours, which reads the same tsconfig. */
    compilerModule: unknown;
    parsedTsConfig: ts.ParsedCommandLine;
  };
}

export const name = '@troupe/transformer';
/** Bump when the output changes, so ts-jest's cache is not reused. */
export const version = 2;

/**
 * ts-jest `astTransformers` adapter:
 * `astTransformers: { before: [{ path: '@troupe/transformer/jest', options: { tsconfig } }] }`.
 * Diagnostics are printed, not thrown: `tspc` is where they fail the build. Without a program
 * (`isolatedModules`), the analysis reads syntax only, so it prints nothing and a method counts as
 * async only by its `async` keyword or a written `Promise`/`PromiseLike` return type.
 */
export function factory(
  compiler: TsJestCompiler,
  options: TroupeJestOptions = {},
): ts.TransformerFactory<ts.SourceFile> {
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
  return createTransformer({
    program: compiler.program,
    config: { ...options, bundles: false },
    compiledOutput: { options: parsed.options, rootNames: parsed.fileNames },
    report: (diagnostic) => {
      if (compiler.program) process.stderr.write(formatDiagnostic(diagnostic));
    },
  });
}
