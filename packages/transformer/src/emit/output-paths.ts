import * as path from 'node:path';
import { ts } from '../typescript';

/** `dist/app.js` → `dist/app.troupe.js` (keeps .mjs and .cjs). */
export function bundlePathFor(jsPath: string): string {
  const ext = path.extname(jsPath);
  return `${jsPath.slice(0, jsPath.length - ext.length)}.troupe${ext}`;
}

/** Whether a source file compiles to an ES module (else CommonJS). */
export function emitsEsm(options: ts.CompilerOptions, sourceFile: ts.SourceFile): boolean {
  const M = ts.ModuleKind;
  const module = options.module ?? M.CommonJS;
  if (module >= M.Node16 && module <= M.NodeNext) return sourceFile.impliedNodeFormat === M.ESNext;
  if (module === M.Preserve) return !/\.c[tj]s$/.test(sourceFile.fileName);
  return module >= M.ES2015 && module <= M.ESNext;
}

/** The JavaScript file the program writes for a source file, if the options say where. */
export function jsOutputPath(
  options: ts.CompilerOptions,
  rootNames: readonly string[],
  fileName: string,
): string | undefined {
  const fileNames = rootNames.includes(fileName) ? [...rootNames] : [...rootNames, fileName];
  try {
    const outputs = ts.getOutputFileNames(
      { options, fileNames, errors: [] },
      fileName,
      !ts.sys.useCaseSensitiveFileNames,
    );
    return outputs.find((f) => /\.[cm]?js$/.test(f));
  } catch {
    return undefined; // outFile, or options that name no output
  }
}

/** The folder the manifest goes in: the output folder, else the project's own. */
export function outputRoot(options: ts.CompilerOptions): string {
  if (options.outDir) return options.outDir;
  const config = options.configFilePath;
  return typeof config === 'string' ? path.dirname(config) : process.cwd();
}
