import type * as ts from 'typescript';
import { Code, type Finding } from '../diagnostics';
import { writeKind } from './module-shape';

const containerConstructors = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Array', 'Object']);

/**
 * TROUPE102: module-level variables that a module changes after loading it. A threaded actor's
 * threads each load their own copy of the module, so such state silently diverges per thread.
 * `statements` restricts the check to what a worker bundle copies out of the module.
 */
export function moduleStateFindings(
  tsi: typeof ts,
  checker: ts.TypeChecker,
  sourceFile: ts.SourceFile,
  actorName: string,
  statements: readonly ts.Statement[] = sourceFile.statements,
): Finding[] {
  const candidates = new Map<ts.Symbol, ts.VariableDeclaration>();
  for (const statement of statements) {
    if (!tsi.isVariableStatement(statement)) continue;
    const isConst = !!(statement.declarationList.flags & tsi.NodeFlags.Const);
    for (const decl of statement.declarationList.declarations) {
      if (!tsi.isIdentifier(decl.name)) continue;
      if (isConst && !(decl.initializer && isContainer(tsi, decl.initializer))) continue;
      const symbol = checker.getSymbolAtLocation(decl.name);
      if (symbol) candidates.set(symbol, decl);
    }
  }
  if (!candidates.size) return [];
  const mutated = new Set<ts.Symbol>();
  const scan = (node: ts.Node): void => {
    if (tsi.isIdentifier(node) && !tsi.isVariableDeclaration(node.parent)) {
      const symbol = checker.getSymbolAtLocation(node);
      if (symbol && candidates.has(symbol) && writeKind(tsi, node) !== 'read') mutated.add(symbol);
    }
    tsi.forEachChild(node, scan);
  };
  scan(sourceFile);
  return [...mutated].map((symbol) => {
    const decl = candidates.get(symbol) as ts.VariableDeclaration;
    return {
      code: Code.moduleState,
      node: decl.name,
      message:
        `module-level state \`${symbol.name}\` is changed after the module loads, and threaded ` +
        `actor \`${actorName}\` loads this module: each of its threads gets its own copy.`,
    };
  });
}

function isContainer(tsi: typeof ts, expr: ts.Expression): boolean {
  if (tsi.isArrayLiteralExpression(expr) || tsi.isObjectLiteralExpression(expr)) return true;
  return (
    tsi.isNewExpression(expr) &&
    tsi.isIdentifier(expr.expression) &&
    containerConstructors.has(expr.expression.text)
  );
}

/** A project module a worker loads, and the import in the actor's module that brings it in. */
export interface LoadedModule {
  module: ts.SourceFile;
  via: ts.Statement;
}

/** The project modules (transitively) imported by the statements a worker loads. */
export function loadedModules(
  tsi: typeof ts,
  program: ts.Program,
  statements: readonly ts.Statement[],
  self: ts.SourceFile,
): LoadedModule[] {
  const seen = new Set<ts.SourceFile>([self]);
  const loaded: LoadedModule[] = [];
  const queue: LoadedModule[] = [];
  for (const statement of statements) {
    for (const module of importedProjectModules(tsi, program, [statement])) {
      queue.push({ module, via: statement });
    }
  }
  while (queue.length) {
    const next = queue.shift() as LoadedModule;
    if (seen.has(next.module)) continue;
    seen.add(next.module);
    loaded.push(next);
    for (const module of importedProjectModules(tsi, program, next.module.statements)) {
      queue.push({ module, via: next.via });
    }
  }
  return loaded;
}

/** The program's own source modules a set of statements imports (not libraries, not .d.ts). */
export function importedProjectModules(
  tsi: typeof ts,
  program: ts.Program,
  statements: readonly ts.Statement[],
): ts.SourceFile[] {
  const checker = program.getTypeChecker();
  const modules: ts.SourceFile[] = [];
  for (const statement of statements) {
    if (!tsi.isImportDeclaration(statement) && !tsi.isExportDeclaration(statement)) continue;
    if (tsi.isImportDeclaration(statement) && statement.importClause?.isTypeOnly) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier) continue;
    const decl = checker.getSymbolAtLocation(specifier)?.valueDeclaration;
    if (!decl || !tsi.isSourceFile(decl)) continue;
    if (decl.isDeclarationFile || program.isSourceFileFromExternalLibrary(decl)) continue;
    modules.push(decl);
  }
  return modules;
}
