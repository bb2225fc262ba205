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
    /** ts-jest's TypeScript: its program is analysed with ours, so it must be a 6.0 too. */
    compilerModule: { versionMajorMinor: string; version: string };
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
  return createTransformer({
    program: compiler.program,
    config: { ...options, bundles: false },
    compiledOutput: { options: parsed.options, rootNames: parsed.fileNames },
    report: (diagnostic) => {
      if (compiler.program) process.stderr.write(formatDiagnostic(diagnostic));
    },
  });
}
