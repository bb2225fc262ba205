import type { TransformContext } from '../context';
import { Code, type Finding } from '../diagnostics';
import { writeKind } from '../discover/module-shape';
import { ts } from '../typescript';

const containerConstructors = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Array', 'Object']);

/**
 * TROUPE102: module-level variables that a module changes after loading it. A threaded actor's
 * threads each load their own copy of the module, so such state silently diverges per thread.
 * `statements` restricts the check to what a worker bundle copies out of the module.
 */
export function moduleStateFindings(
  ctx: TransformContext & { checker: ts.TypeChecker },
  sourceFile: ts.SourceFile,
  actorName: string,
  statements: readonly ts.Statement[] = sourceFile.statements,
): Finding[] {
  const { checker } = ctx;
  const candidates = new Map<ts.Symbol, ts.VariableDeclaration>();
  for (const statement of statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const isConst = !!(statement.declarationList.flags & ts.NodeFlags.Const);
    for (const decl of statement.declarationList.declarations) {
      if (!ts.isIdentifier(decl.name)) continue;
      if (isConst && !(decl.initializer && isContainer(decl.initializer))) continue;
      const symbol = checker.getSymbolAtLocation(decl.name);
      if (symbol) candidates.set(symbol, decl);
    }
  }
  if (!candidates.size) return [];
  const mutated = new Set<ts.Symbol>();
  const scan = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && !ts.isVariableDeclaration(node.parent)) {
      const symbol = checker.getSymbolAtLocation(node);
      if (symbol && candidates.has(symbol) && writeKind(node) !== 'read') mutated.add(symbol);
    }
    ts.forEachChild(node, scan);
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

function isContainer(expr: ts.Expression): boolean {
  if (ts.isArrayLiteralExpression(expr) || ts.isObjectLiteralExpression(expr)) return true;
  return (
    ts.isNewExpression(expr) &&
    ts.isIdentifier(expr.expression) &&
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
  ctx: TransformContext & { program: ts.Program },
  statements: readonly ts.Statement[],
  self: ts.SourceFile,
): LoadedModule[] {
  const { program } = ctx;
  const seen = new Set<ts.SourceFile>([self]);
  const loaded: LoadedModule[] = [];
  const queue: LoadedModule[] = [];
  for (const statement of statements) {
    for (const module of importedProjectModules(program, [statement])) {
      queue.push({ module, via: statement });
    }
  }
  while (queue.length) {
    const next = queue.shift() as LoadedModule;
    if (seen.has(next.module)) continue;
    seen.add(next.module);
    loaded.push(next);
    for (const module of importedProjectModules(program, next.module.statements)) {
      queue.push({ module, via: next.via });
    }
  }
  return loaded;
}

/** The program's own source modules a set of statements imports (not libraries, not .d.ts). */
export function importedProjectModules(
  program: ts.Program,
  statements: readonly ts.Statement[],
): ts.SourceFile[] {
  const checker = program.getTypeChecker();
  const modules: ts.SourceFile[] = [];
  for (const statement of statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    if (ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier) continue;
    const decl = checker.getSymbolAtLocation(specifier)?.valueDeclaration;
    if (!decl || !ts.isSourceFile(decl)) continue;
    if (decl.isDeclarationFile || program.isSourceFileFromExternalLibrary(decl)) continue;
    modules.push(decl);
  }
  return modules;
}
