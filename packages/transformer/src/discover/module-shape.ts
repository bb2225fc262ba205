import { ts } from '../typescript';

/** Methods that change the array, Map, Set or typed array they are called on. */
export const mutatingMethods = new Set([
  'push',
  'pop',
  'shift',
  'unshift',
  'splice',
  'sort',
  'reverse',
  'fill',
  'copyWithin',
  'set',
  'add',
  'delete',
  'clear',
]);

/**
 * A module is thread-safe when loading it runs nothing but imports, declarations and
 * side-effect-free initialisers: a worker can then import it as it is. Anything else is a top-level
 * effect (the program's own code), which a worker must never run again.
 */
export interface ModuleShape {
  threadSafe: boolean;
  effects: ts.Statement[];
}

export function classifyModule(sourceFile: ts.SourceFile): ModuleShape {
  const effects = sourceFile.statements.filter((s) => !isPureStatement(s));
  return { threadSafe: effects.length === 0, effects };
}

/**
 * The first statement of a module that is program code rather than setup: an expression
 * statement, control flow, or a top-level await. Loading such a module in a worker would run the
 * program there again. (Initialisers that call functions count as setup: they run, but once per
 * thread, like any module's.)
 */
export function programCode(sourceFile: ts.SourceFile): ts.Statement | undefined {
  return sourceFile.statements.find((s) => {
    if (ts.isExpressionStatement(s)) return !ts.isStringLiteral(s.expression);
    if (ts.isVariableStatement(s)) {
      return s.declarationList.declarations.some(
        (d) => d.initializer && containsAwait(d.initializer),
      );
    }
    return (
      ts.isIfStatement(s) ||
      ts.isIterationStatement(s, false) ||
      ts.isTryStatement(s) ||
      ts.isSwitchStatement(s) ||
      ts.isLabeledStatement(s) ||
      ts.isBlock(s) ||
      ts.isThrowStatement(s)
    );
  });
}

export function containsAwait(node: ts.Node): boolean {
  if (ts.isAwaitExpression(node)) return true;
  if (ts.isFunctionLike(node)) return false;
  return !!ts.forEachChild(node, (child) => containsAwait(child) || undefined);
}

function isPureStatement(statement: ts.Statement): boolean {
  if (
    ts.isImportDeclaration(statement) ||
    ts.isImportEqualsDeclaration(statement) ||
    ts.isExportDeclaration(statement) ||
    ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) ||
    ts.isFunctionDeclaration(statement) ||
    ts.isEnumDeclaration(statement) ||
    ts.isEmptyStatement(statement)
  ) {
    return true;
  }
  if (ts.isClassDeclaration(statement)) {
    // Decorators run at load time; the runtime's own are expected. Static initialisers run too.
    return statement.members.every((m) => {
      if (ts.isClassStaticBlockDeclaration(m)) return false;
      const isStatic = ts
        .getModifiers(m as ts.PropertyDeclaration)
        ?.some((x) => x.kind === ts.SyntaxKind.StaticKeyword);
      return !isStatic || !ts.isPropertyDeclaration(m) || !m.initializer || isPure(m.initializer);
    });
  }
  if (ts.isModuleDeclaration(statement)) {
    return !!ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword);
  }
  if (ts.isExportAssignment(statement)) return isPure(statement.expression);
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.every(
      (d) => !d.initializer || isPure(d.initializer),
    );
  }
  return false;
}

const pureConstructors = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Array', 'Object', 'Error']);
const pureCalls = new Set(['Symbol', 'Symbol.for', 'Object.freeze', 'Object.create', 'BigInt']);

/** Evaluating the expression has no effect beyond allocating: no calls, awaits or writes. */
export function isPure(expr: ts.Expression): boolean {
  if (
    ts.isLiteralExpression(expr) ||
    ts.isIdentifier(expr) ||
    ts.isNoSubstitutionTemplateLiteral(expr) ||
    ts.isArrowFunction(expr) ||
    ts.isFunctionExpression(expr) ||
    expr.kind === ts.SyntaxKind.TrueKeyword ||
    expr.kind === ts.SyntaxKind.FalseKeyword ||
    expr.kind === ts.SyntaxKind.NullKeyword ||
    expr.kind === ts.SyntaxKind.ThisKeyword
  ) {
    return true;
  }
  if (ts.isClassExpression(expr)) return true;
  if (
    ts.isParenthesizedExpression(expr) ||
    ts.isAsExpression(expr) ||
    ts.isSatisfiesExpression(expr) ||
    ts.isNonNullExpression(expr) ||
    ts.isTypeAssertionExpression(expr) ||
    ts.isTypeOfExpression(expr) ||
    ts.isVoidExpression(expr) ||
    ts.isSpreadElement(expr)
  ) {
    return isPure(expr.expression);
  }
  if (ts.isPrefixUnaryExpression(expr)) {
    const op = expr.operator;
    return (
      op !== ts.SyntaxKind.PlusPlusToken &&
      op !== ts.SyntaxKind.MinusMinusToken &&
      isPure(expr.operand)
    );
  }
  if (ts.isBinaryExpression(expr)) {
    const op = expr.operatorToken.kind;
    if (op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment) return false;
    return isPure(expr.left) && isPure(expr.right);
  }
  if (ts.isConditionalExpression(expr)) {
    return isPure(expr.condition) && isPure(expr.whenTrue) && isPure(expr.whenFalse);
  }
  if (ts.isTemplateExpression(expr)) return expr.templateSpans.every((s) => isPure(s.expression));
  if (ts.isArrayLiteralExpression(expr)) return expr.elements.every((e) => isPure(e));
  if (ts.isObjectLiteralExpression(expr)) {
    return expr.properties.every((p) => {
      if (p.name && ts.isComputedPropertyName(p.name) && !isPure(p.name.expression)) return false;
      if (ts.isPropertyAssignment(p)) return isPure(p.initializer);
      if (ts.isSpreadAssignment(p)) return isPure(p.expression);
      return true; // shorthand, methods, accessors
    });
  }
  if (ts.isPropertyAccessExpression(expr)) return isPure(expr.expression);
  if (ts.isElementAccessExpression(expr)) {
    return isPure(expr.expression) && isPure(expr.argumentExpression);
  }
  if (ts.isNewExpression(expr)) {
    return (
      ts.isIdentifier(expr.expression) &&
      pureConstructors.has(expr.expression.text) &&
      (expr.arguments ?? []).every((a) => isPure(a))
    );
  }
  if (ts.isCallExpression(expr)) {
    return pureCalls.has(expr.expression.getText()) && expr.arguments.every((a) => isPure(a));
  }
  return false;
}

/** How an identifier is used: read, rebound (`x = 1`, `x++`), or its contents changed. */
export function writeKind(id: ts.Identifier): 'read' | 'assign' | 'mutate' {
  if (isWriteTarget(id)) return 'assign';
  let top: ts.Expression = id;
  while (
    (ts.isPropertyAccessExpression(top.parent) || ts.isElementAccessExpression(top.parent)) &&
    top.parent.expression === top
  ) {
    top = top.parent;
  }
  if (top === id) return 'read';
  if (isWriteTarget(top)) return 'mutate';
  const parent = top.parent;
  if (
    ts.isPropertyAccessExpression(top) &&
    ts.isCallExpression(parent) &&
    parent.expression === top &&
    mutatingMethods.has(top.name.text)
  ) {
    return 'mutate';
  }
  return 'read';
}

function isWriteTarget(node: ts.Expression): boolean {
  let child: ts.Node = node;
  let parent = node.parent;
  while (ts.isParenthesizedExpression(parent) || ts.isNonNullExpression(parent)) {
    child = parent;
    parent = parent.parent;
  }
  if (ts.isBinaryExpression(parent)) {
    const op = parent.operatorToken.kind;
    return (
      parent.left === child &&
      op >= ts.SyntaxKind.FirstAssignment &&
      op <= ts.SyntaxKind.LastAssignment
    );
  }
  if (ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent)) {
    return (
      parent.operator === ts.SyntaxKind.PlusPlusToken ||
      parent.operator === ts.SyntaxKind.MinusMinusToken
    );
  }
  return ts.isDeleteExpression(parent);
}
