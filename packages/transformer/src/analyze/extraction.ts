import type * as ts from 'typescript';
import { Code, type Finding } from '../diagnostics';
import type { ActorClass } from './actors';
import { containsAwait, type ModuleShape, writeKind } from './module-shape';

/** What a worker bundle holds: the top-level statements the actors need, in source order. */
export interface Extraction {
  statements: ts.Statement[];
  findings: Finding[];
}

/**
 * Collects the actors of a module and every top-level declaration they reference, transitively,
 * for a worker bundle. Imports are kept whole (the bundle's compilation drops the unused ones)
 * and side-effect imports are kept. TROUPE107 when an actor reads a variable that the module's
 * top-level code (or a function it runs) sets up: that code never runs in a worker.
 */
export function extractActors(
  tsi: typeof ts,
  checker: ts.TypeChecker,
  sourceFile: ts.SourceFile,
  actors: ActorClass[],
  shape: ModuleShape,
): Extraction {
  const declaring = topLevelDeclarations(tsi, checker, sourceFile);
  const needed = new Set<ts.Statement>();
  const firstUse = new Map<ts.Symbol, ts.Identifier>();
  const queue: ts.Node[] = [];
  const need = (statement: ts.Statement) => {
    if (needed.has(statement)) return;
    needed.add(statement);
    queue.push(statement);
  };
  for (const actor of actors) need(actor.node as ts.ClassDeclaration);
  for (const statement of sourceFile.statements) {
    if (tsi.isImportDeclaration(statement) && !statement.importClause) need(statement);
  }
  while (queue.length) {
    const scan = (node: ts.Node): void => {
      if (tsi.isIdentifier(node)) {
        const symbol = symbolOfReference(tsi, checker, node);
        const statement = symbol && declaring.get(symbol);
        if (symbol && statement) {
          if (!firstUse.has(symbol)) firstUse.set(symbol, node);
          need(statement);
        }
      }
      tsi.forEachChild(node, scan);
    };
    scan(queue.shift() as ts.Node);
  }

  const findings: Finding[] = [];
  const setupWrites = writesBySetupCode(tsi, checker, shape, declaring);
  for (const [symbol, use] of firstUse) {
    const statement = declaring.get(symbol);
    if (!statement || !tsi.isVariableStatement(statement)) continue;
    const decl = symbol.valueDeclaration;
    const awaited =
      decl &&
      tsi.isVariableDeclaration(decl) &&
      decl.initializer &&
      containsAwait(tsi, decl.initializer);
    const write = setupWrites.get(symbol);
    if (!write && !awaited) continue;
    const line = write
      ? sourceFile.getLineAndCharacterOfPosition(write.getStart(sourceFile)).line + 1
      : undefined;
    findings.push({
      code: Code.notExtractable,
      node: use,
      message: `the actor reads \`${symbol.name}\`, which ${
        awaited
          ? 'is initialised with a top-level await'
          : `the module's top-level code sets up (line ${line})`
      }; a worker loads the actor without running that code, so it would see another value.`,
    });
  }
  const statements = sourceFile.statements.filter((s) => needed.has(s));
  return { statements, findings };
}

function symbolOfReference(
  tsi: typeof ts,
  checker: ts.TypeChecker,
  id: ts.Identifier,
): ts.Symbol | undefined {
  if (tsi.isShorthandPropertyAssignment(id.parent) && id.parent.name === id) {
    return checker.getShorthandAssignmentValueSymbol(id.parent);
  }
  return checker.getSymbolAtLocation(id);
}

/** Maps each symbol a top-level statement declares to that statement. */
export function topLevelDeclarations(
  tsi: typeof ts,
  checker: ts.TypeChecker,
  sourceFile: ts.SourceFile,
): Map<ts.Symbol, ts.Statement> {
  const map = new Map<ts.Symbol, ts.Statement>();
  const add = (name: ts.Node | undefined, statement: ts.Statement) => {
    if (!name) return;
    if (tsi.isObjectBindingPattern(name) || tsi.isArrayBindingPattern(name)) {
      for (const element of name.elements) {
        if (tsi.isBindingElement(element)) add(element.name, statement);
      }
      return;
    }
    const symbol = checker.getSymbolAtLocation(name);
    if (symbol) map.set(symbol, statement);
  };
  for (const statement of sourceFile.statements) {
    if (tsi.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      add(clause?.name, statement);
      const bindings = clause?.namedBindings;
      if (bindings && tsi.isNamespaceImport(bindings)) add(bindings.name, statement);
      else if (bindings) for (const e of bindings.elements) add(e.name, statement);
    } else if (tsi.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) add(d.name, statement);
    } else if (
      tsi.isFunctionDeclaration(statement) ||
      tsi.isClassDeclaration(statement) ||
      tsi.isEnumDeclaration(statement) ||
      tsi.isImportEqualsDeclaration(statement) ||
      tsi.isModuleDeclaration(statement)
    ) {
      add(statement.name, statement);
    }
  }
  return map;
}

/**
 * Writes made by code that runs at load time: the top-level effect statements, and the bodies of
 * the module's functions they reach. Returns the first such write of each symbol.
 */
function writesBySetupCode(
  tsi: typeof ts,
  checker: ts.TypeChecker,
  shape: ModuleShape,
  declaring: Map<ts.Symbol, ts.Statement>,
): Map<ts.Symbol, ts.Node> {
  const writes = new Map<ts.Symbol, ts.Node>();
  const visited = new Set<ts.Node>();
  const queue: ts.Node[] = [...shape.effects];
  while (queue.length) {
    const region = queue.shift() as ts.Node;
    if (visited.has(region)) continue;
    visited.add(region);
    const scan = (node: ts.Node): void => {
      if (tsi.isIdentifier(node)) {
        const symbol = checker.getSymbolAtLocation(node);
        const statement = symbol && declaring.get(symbol);
        if (symbol && statement) {
          if (tsi.isFunctionDeclaration(statement)) queue.push(statement);
          else if (writeKind(tsi, node) !== 'read' && !writes.has(symbol)) writes.set(symbol, node);
        }
      }
      tsi.forEachChild(node, scan);
    };
    scan(region);
  }
  return writes;
}
