import { analyzeFile } from './analyze';
import { isIgnored, toDiagnostic } from './diagnostics';
import { createContext } from './transformer';
import { ts } from './typescript';

interface PluginConfig {
  runtimeModule?: string;
}

/** What tsserver hands a language-service plugin (the part used here). */
interface PluginCreateInfo {
  languageService: ts.LanguageService;
  config?: PluginConfig;
  project?: { projectService?: { logger?: { info(message: string): void } } };
}

/**
 * The TypeScript language-service plugin, for editors on TypeScript 6:
 * `"plugins": [{ "name": "@troupe/transformer/language-service" }]` in tsconfig.json shows
 * TROUPE1xx diagnostics while typing, from the same analysis as `tspc` and `troupe check`. The
 * editor's compiler must be a 6.0, as for the ts-patch plugin; on any other the plugin stays out
 * of the way and says why in the tsserver log.
 */
function init(modules: { typescript: { versionMajorMinor: string; version: string } }) {
  const create = (info: PluginCreateInfo): ts.LanguageService => {
    const service = info.languageService;
    if (modules.typescript.versionMajorMinor !== ts.versionMajorMinor) {
      info.project?.projectService?.logger?.info(
        `@troupe/transformer/language-service: off, this editor runs TypeScript ` +
          `${modules.typescript.version} and the analysis needs ${ts.versionMajorMinor}; ` +
          'run troupe check for the diagnostics.',
      );
      return service;
    }
    // A finding may lie in another file than the one analysed (TROUPE102 in a module an actor's
    // module imports): each program is analysed whole, once, and its findings sorted by file.
    const byProgram = new WeakMap<ts.Program, Map<string, ts.Diagnostic[]>>();
    const analyse = (program: ts.Program): Map<string, ts.Diagnostic[]> => {
      const byFile = new Map<string, ts.Diagnostic[]>();
      const ctx = createContext(program, info.config?.runtimeModule);
      const output = {
        options: program.getCompilerOptions(),
        rootNames: program.getRootFileNames(),
      };
      for (const sourceFile of program.getSourceFiles()) {
        if (sourceFile.isDeclarationFile || program.isSourceFileFromExternalLibrary(sourceFile))
          continue;
        try {
          for (const finding of analyzeFile(ctx, sourceFile, output, false).findings) {
            if (isIgnored(finding)) continue;
            const diagnostic = toDiagnostic(finding);
            const file = diagnostic.file?.fileName ?? sourceFile.fileName;
            const list = byFile.get(file) ?? [];
            if (!list.some((d) => d.start === diagnostic.start && d.code === diagnostic.code))
              list.push(diagnostic);
            byFile.set(file, list);
          }
        } catch (error) {
          // An editor must keep working whatever the analysis does with a half-typed file.
          info.project?.projectService?.logger?.info(
            `@troupe/transformer/language-service: ${sourceFile.fileName}: ${error}`,
          );
        }
      }
      return byFile;
    };
    const troupeDiagnostics = (fileName: string): ts.Diagnostic[] => {
      const program = service.getProgram();
      if (!program) return [];
      let byFile = byProgram.get(program);
      if (!byFile) {
        byFile = analyse(program);
        byProgram.set(program, byFile);
      }
      return byFile.get(fileName) ?? [];
    };
    const proxy = Object.create(null) as ts.LanguageService;
    for (const key of Object.keys(service) as (keyof ts.LanguageService)[]) {
      const member = service[key];
      // biome-ignore lint/suspicious/noExplicitAny: forwarding every member of the service as is
      (proxy as any)[key] = typeof member === 'function' ? member.bind(service) : member;
    }
    proxy.getSemanticDiagnostics = (fileName) => [
      ...service.getSemanticDiagnostics(fileName),
      ...troupeDiagnostics(fileName),
    ];
    return proxy;
  };
  return { create };
}

export = init;
