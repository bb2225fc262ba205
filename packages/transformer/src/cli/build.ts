import * as fs from 'node:fs';
import type { FileAnalysis } from '../analyze';
import { formatDiagnostic } from '../diagnostics';
import { removeStaleBundle, writeBundle } from '../emit/bundle';
import { ManifestWriter } from '../emit/manifest';
import { outputRoot } from '../emit/output-paths';
import { analyzeOrReport, createContext, reporter } from '../transformer';
import { ts } from '../typescript';
import { injectMeta, jsIsEsm } from './inject';
import type { Project } from './project';

export interface RunResult {
  errors: number;
  warnings: number;
  /** Compiled modules the build changed or checked. */
  modules: number;
}

/**
 * `troupe check` (write is false) and `troupe build` (write is true) over some projects: the same
 * analysis as the ts-patch plugin, on Troupe's own TypeScript. A build then writes beside the
 * JavaScript that another compiler produced what the plugin would have emitted: the compiled info
 * in each `@actor(...)` call, the worker bundles and `troupe-manifest.json`.
 */
export function run(
  projects: readonly Project[],
  write: boolean,
  print: (text: string) => void,
): RunResult {
  const result: RunResult = { errors: 0, warnings: 0, modules: 0 };
  const report = (diagnostic: ts.Diagnostic) => {
    if (diagnostic.category === ts.DiagnosticCategory.Error) result.errors++;
    else result.warnings++;
    print(formatDiagnostic(diagnostic));
  };
  for (const { parsed, program } of projects) {
    const ctx = createContext(program, runtimeModuleOf(parsed));
    const reportOnce = reporter(program, report);
    const manifest = write ? new ManifestWriter(outputRoot(parsed.options)) : undefined;
    const jsTexts = new Map<string, string | undefined>();
    const readJs = (jsPath: string | undefined) => {
      if (!jsPath) return undefined;
      if (!jsTexts.has(jsPath)) {
        jsTexts.set(jsPath, fs.existsSync(jsPath) ? fs.readFileSync(jsPath, 'utf8') : undefined);
      }
      return jsTexts.get(jsPath);
    };
    const output = {
      options: parsed.options,
      rootNames: parsed.fileNames,
      esmOf: write
        ? (_: ts.SourceFile, jsPath: string | undefined) => {
            const text = readJs(jsPath);
            return jsPath && text !== undefined ? jsIsEsm(jsPath, text) : undefined;
          }
        : undefined,
    };
    const own = new Set(parsed.fileNames.map((f) => f.replace(/\\/g, '/')));
    for (const sourceFile of program.getSourceFiles()) {
      if (sourceFile.isDeclarationFile || program.isSourceFileFromExternalLibrary(sourceFile))
        continue;
      // Referenced projects' files are analysed with their own project, not twice.
      if (!own.has(sourceFile.fileName)) continue;
      const analysis = analyzeOrReport(ctx, sourceFile, output, write, report);
      if (!analysis) continue;
      reportOnce(analysis);
      if (write && manifest) {
        result.modules += emit(analysis, readJs(analysis.jsPath), print, manifest, sourceFile);
      } else if (analysis.discovered.length) {
        result.modules++;
      }
    }
    manifest?.write();
  }
  return result;
}

/** Writes one module's share of the build; returns 1 if the module has actors. */
function emit(
  analysis: FileAnalysis,
  js: string | undefined,
  print: (text: string) => void,
  manifest: ManifestWriter,
  sourceFile: ts.SourceFile,
): number {
  const { jsPath } = analysis;
  if (analysis.bundle) writeBundle(analysis.bundle.path, analysis.bundle.text);
  else if (analysis.bundlePath) removeStaleBundle(analysis.bundlePath);
  if (!jsPath) return 0;
  if (!analysis.actors.length) {
    manifest.set(jsPath, []);
    return 0;
  }
  if (js === undefined) {
    print(
      `${sourceFile.fileName}: error: no compiled output at ${jsPath}. Compile first (tsc, ` +
        'esbuild, swc: whatever writes the JavaScript), then run troupe build.\n',
    );
    process.exitCode = 1;
    return 0;
  }
  const moduleUrl = analysis.moduleUrl;
  const injected = injectMeta(jsPath, js, analysis.discovered, analysis.actors, moduleUrl);
  if ('error' in injected) {
    print(`${sourceFile.fileName}: error: ${injected.error}\n`);
    process.exitCode = 1;
    return 0;
  }
  if (injected.text !== js) fs.writeFileSync(jsPath, injected.text);
  manifest.set(
    jsPath,
    analysis.actors.map(({ info }) => info),
    analysis.bundle?.path,
  );
  return 1;
}

/** The plugin entry's `runtimeModule`, when the tsconfig configures the plugin. */
function runtimeModuleOf(parsed: ts.ParsedCommandLine): string | undefined {
  const plugins = (parsed.options.plugins ?? []) as {
    transform?: string;
    runtimeModule?: string;
  }[];
  return plugins.find((p) => p.transform === '@troupe/transformer')?.runtimeModule;
}
