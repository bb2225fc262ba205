import type { TransformContext } from '../context';
import { ts } from '../typescript';
import type { ActorClass } from './actors';
import { containsAwait, isPure, type ModuleShape, writeKind } from './module-shape';

/**
 * A module-level variable an actor reads whose value the program builds: the worker never runs
 * that code, so the bundle must not copy the variable (it would run the setup again, or see
 * another value).
 */
export interface ProgramState {
  symbol: ts.Symbol;
  /** Where the actor (or what it needs) reads it. */
  use: ts.Identifier;
  why: string;
}

/** What a worker bundle holds: the top-level statements the actors need, in source order. */
export interface Extraction {
  statements: ts.Statement[];
  programState: ProgramState[];
}

/**
 * Collects the actors of a module and every top-level declaration they reference, transitively,
 * for a worker bundle. Imports are kept whole (the bundle's compilation drops the unused ones)
 * and side-effect imports are kept. Variables whose value the module's program code builds are
 * reported and never copied: their setup (a server started, a config loaded) must not run again in
 * a worker.
 */
export function extractActors(
  ctx: TransformContext & { checker: ts.TypeChecker },
  sourceFile: ts.SourceFile,
  actors: ActorClass[],
  shape: ModuleShape,
): Extraction {
  const { checker } = ctx;
  const declaring = topLevelDeclarations(checker, sourceFile);
  const built = programBuiltState(checker, sourceFile, shape, declaring);
  const needed = new Set<ts.Statement>();
  const reported = new Map<ts.Symbol, ProgramState>();
  const queue: ts.Node[] = [];
  const need = (statement: ts.Statement) => {
    if (needed.has(statement)) return;
    needed.add(statement);
    queue.push(statement);
  };
  for (const actor of actors) need(actor.node as ts.ClassDeclaration);
  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement) && !statement.importClause) need(statement);
  }
  while (queue.length) {
    const scan = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) {
        const symbol = symbolOfReference(checker, node);
        const statement = symbol && declaring.get(symbol);
        if (symbol && statement) {
          const why = built.get(symbol);
          if (why === undefined) need(statement);
          else if (!reported.has(symbol)) reported.set(symbol, { symbol, use: node, why });
        }
      }
      ts.forEachChild(node, scan);
    };
    scan(queue.shift() as ts.Node);
  }
  const statements = sourceFile.statements.filter((s) => needed.has(s));
  return { statements, programState: [...reported.values()] };
}

function symbolOfReference(checker: ts.TypeChecker, id: ts.Identifier): ts.Symbol | undefined {
  if (ts.isShorthandPropertyAssignment(id.parent) && id.parent.name === id) {
    return checker.getShorthandAssignmentValueSymbol(id.parent);
  }
  return checker.getSymbolAtLocation(id);
}

/** Maps each symbol a top-level statement declares to that statement. */
export function topLevelDeclarations(
  checker: ts.TypeChecker,
  sourceFile: ts.SourceFile,
): Map<ts.Symbol, ts.Statement> {
  const map = new Map<ts.Symbol, ts.Statement>();
  const add = (name: ts.Node | undefined, statement: ts.Statement) => {
    if (!name) return;
    if (ts.isObjectBindingPattern(name) || ts.isArrayBindingPattern(name)) {
      for (const element of name.elements) {
        if (ts.isBindingElement(element)) add(element.name, statement);
      }
      return;
    }
    const symbol = checker.getSymbolAtLocation(name);
    if (symbol) map.set(symbol, statement);
  };
  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      add(clause?.name, statement);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) add(bindings.name, statement);
      else if (bindings) for (const e of bindings.elements) add(e.name, statement);
    } else if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) add(d.name, statement);
    } else if (
      ts.isFunctionDeclaration(statement) ||
      ts.isClassDeclaration(statement) ||
      ts.isEnumDeclaration(statement) ||
      ts.isImportEqualsDeclaration(statement) ||
      ts.isModuleDeclaration(statement)
    ) {
      add(statement.name, statement);
    }
  }
  return map;
}

const lineOf = (node: ts.Node) => {
  const sourceFile = node.getSourceFile();
  return sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
};

/**
 * The module-level variables whose value depends on the program's own code, with why:
 * - written or changed by top-level code, or by a module function it runs (`init()` setting
 *   `config`);
 * - initialised with a top-level `await`;
 * - built by a call at load time and then used by top-level code (`const server =
 *   http.createServer(); server.listen(0)`): the object is the program's, started by it;
 * - computed from such a variable, directly or through a module function its initialiser calls
 *   (`const base = \`http://…:${server.address().port}\``, after `await once(server, …)`).
 */
function programBuiltState(
  checker: ts.TypeChecker,
  sourceFile: ts.SourceFile,
  shape: ModuleShape,
  declaring: Map<ts.Symbol, ts.Statement>,
): Map<ts.Symbol, string> {
  const built = new Map<ts.Symbol, string>();
  const initializerOf = (symbol: ts.Symbol) => {
    const decl = symbol.valueDeclaration;
    return decl && ts.isVariableDeclaration(decl) ? decl.initializer : undefined;
  };
  const isVariable = (symbol: ts.Symbol) =>
    ts.isVariableStatement(declaring.get(symbol) as ts.Statement);

  const { writes, uses } = touchedBySetupCode(checker, shape, declaring);
  for (const [symbol, write] of writes) {
    if (!isVariable(symbol)) continue;
    built.set(symbol, `the module's top-level code sets up (line ${lineOf(write)})`);
  }
  for (const [symbol, use] of uses) {
    const init = initializerOf(symbol);
    if (built.has(symbol) || !isVariable(symbol) || !init || isPure(init)) continue;
    built.set(
      symbol,
      `is built when the module loads and then used by its top-level code (line ${lineOf(use)})`,
    );
  }
  for (const symbol of declaring.keys()) {
    const init = initializerOf(symbol);
    if (!built.has(symbol) && init && containsAwait(init)) {
      built.set(symbol, 'is initialised with a top-level await');
    }
  }
  // Derived state, to a fixed point: a variable computed from program-built state is too.
  const dependsOn = new Map<ts.Symbol, Set<ts.Symbol>>();
  for (const symbol of declaring.keys()) {
    const init = initializerOf(symbol);
    if (init) dependsOn.set(symbol, referencedThroughFunctions(checker, init, declaring));
  }
  const propagate = () => {
    for (let changed = true; changed; ) {
      changed = false;
      for (const [symbol, deps] of dependsOn) {
        if (built.has(symbol)) continue;
        const from = [...deps].find((d) => built.has(d));
        if (!from) continue;
        built.set(symbol, `is computed from \`${from.name}\`, which ${built.get(from)}`);
        changed = true;
      }
    }
  };
  propagate();
  // What a call computes after the program awaited something may depend on what it awaited.
  const firstAwait = sourceFile.statements.find((s) => !ts.isFunctionLike(s) && containsAwait(s));
  for (const symbol of declaring.keys()) {
    const init = initializerOf(symbol);
    if (built.has(symbol) || !init || !firstAwait) continue;
    if (init.pos > firstAwait.end && !isPure(init)) {
      built.set(
        symbol,
        `is built after the top-level await on line ${lineOf(firstAwait)}, from what the program awaited`,
      );
    }
  }
  propagate();
  return built;
}

/** Top-level symbols an expression reads, following the module functions it references. */
function referencedThroughFunctions(
  checker: ts.TypeChecker,
  root: ts.Node,
  declaring: Map<ts.Symbol, ts.Statement>,
): Set<ts.Symbol> {
  const found = new Set<ts.Symbol>();
  const visited = new Set<ts.Node>();
  const queue: ts.Node[] = [root];
  while (queue.length) {
    const region = queue.shift() as ts.Node;
    if (visited.has(region)) continue;
    visited.add(region);
    const scan = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) {
        const symbol = symbolOfReference(checker, node);
        const statement = symbol && declaring.get(symbol);
        if (symbol && statement) {
          found.add(symbol);
          if (ts.isFunctionDeclaration(statement)) queue.push(statement);
        }
      }
      ts.forEachChild(node, scan);
    };
    scan(region);
  }
  return found;
}

/**
 * What code that runs at load time touches: the top-level effect statements, and the bodies of
 * the module's functions they reach. Returns the first write and the first use of each symbol.
 */
function touchedBySetupCode(
  checker: ts.TypeChecker,
  shape: ModuleShape,
  declaring: Map<ts.Symbol, ts.Statement>,
): { writes: Map<ts.Symbol, ts.Node>; uses: Map<ts.Symbol, ts.Node> } {
  const writes = new Map<ts.Symbol, ts.Node>();
  const uses = new Map<ts.Symbol, ts.Node>();
  const visited = new Set<ts.Node>();
  const queue: ts.Node[] = [...shape.effects];
  while (queue.length) {
    const region = queue.shift() as ts.Node;
    if (visited.has(region)) continue;
    visited.add(region);
    // An initialiser that reads another variable only builds on it (see derived state); program
    // code that uses a variable (`server.listen(0)`, `await once(server, …)`) makes it the program's.
    const usesCount = !ts.isVariableStatement(region);
    const scan = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) {
        const symbol = symbolOfReference(checker, node);
        const statement = symbol && declaring.get(symbol);
        if (symbol && statement) {
          if (ts.isFunctionDeclaration(statement)) queue.push(statement);
          else if (!(ts.isVariableDeclaration(node.parent) && node.parent.name === node)) {
            if (usesCount && !uses.has(symbol)) uses.set(symbol, node);
            if (writeKind(node) !== 'read' && !writes.has(symbol)) writes.set(symbol, node);
          }
        }
      }
      ts.forEachChild(node, scan);
    };
    scan(region);
  }
  return { writes, uses };
}
