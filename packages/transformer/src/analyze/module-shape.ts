import type * as ts from 'typescript';
import { mutatingMethods } from './thread-safety';

/**
 * A module is thread-safe when loading it runs nothing but imports, declarations and
 * side-effect-free initialisers: a worker can then import it as it is. Anything else is a top-level
 * effect (the program's own code), which a worker must never run again.
 */
export interface ModuleShape {
  threadSafe: boolean;
  effects: ts.Statement[];
}

export function classifyModule(tsi: typeof ts, sourceFile: ts.SourceFile): ModuleShape {
  const effects = sourceFile.statements.filter((s) => !isPureStatement(tsi, s));
  return { threadSafe: effects.length === 0, effects };
}

/**
 * The first statement of a module that is program code rather than setup: an expression
 * statement, control flow, or a top-level await. Loading such a module in a worker would run the
 * program there again. (Initialisers that call functions count as setup: they run, but once per
 * thread, like any module's.)
 */
export function programCode(tsi: typeof ts, sourceFile: ts.SourceFile): ts.Statement | undefined {
  return sourceFile.statements.find((s) => {
    if (tsi.isExpressionStatement(s)) return !tsi.isStringLiteral(s.expression);
    if (tsi.isVariableStatement(s)) {
      return s.declarationList.declarations.some(
        (d) => d.initializer && containsAwait(tsi, d.initializer),
      );
    }
    return (
      tsi.isIfStatement(s) ||
      tsi.isIterationStatement(s, false) ||
      tsi.isTryStatement(s) ||
      tsi.isSwitchStatement(s) ||
      tsi.isLabeledStatement(s) ||
      tsi.isBlock(s) ||
      tsi.isThrowStatement(s)
    );
  });
}

export function containsAwait(tsi: typeof ts, node: ts.Node): boolean {
  if (tsi.isAwaitExpression(node)) return true;
  if (tsi.isFunctionLike(node)) return false;
  return !!tsi.forEachChild(node, (child) => containsAwait(tsi, child) || undefined);
}

function isPureStatement(tsi: typeof ts, statement: ts.Statement): boolean {
  if (
    tsi.isImportDeclaration(statement) ||
    tsi.isImportEqualsDeclaration(statement) ||
    tsi.isExportDeclaration(statement) ||
    tsi.isInterfaceDeclaration(statement) ||
    tsi.isTypeAliasDeclaration(statement) ||
    tsi.isFunctionDeclaration(statement) ||
    tsi.isEnumDeclaration(statement) ||
    tsi.isEmptyStatement(statement)
  ) {
    return true;
  }
  if (tsi.isClassDeclaration(statement)) {
    // Decorators run at load time; the runtime's own are expected. Static initialisers run too.
    return statement.members.every((m) => {
      if (tsi.isClassStaticBlockDeclaration(m)) return false;
      const isStatic = tsi
        .getModifiers(m as ts.PropertyDeclaration)
        ?.some((x) => x.kind === tsi.SyntaxKind.StaticKeyword);
      return (
        !isStatic || !tsi.isPropertyDeclaration(m) || !m.initializer || isPure(tsi, m.initializer)
      );
    });
  }
  if (tsi.isModuleDeclaration(statement)) {
    return !!tsi.getModifiers(statement)?.some((m) => m.kind === tsi.SyntaxKind.DeclareKeyword);
  }
  if (tsi.isExportAssignment(statement)) return isPure(tsi, statement.expression);
  if (tsi.isVariableStatement(statement)) {
    return statement.declarationList.declarations.every(
      (d) => !d.initializer || isPure(tsi, d.initializer),
    );
  }
  return false;
}

const pureConstructors = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Array', 'Object', 'Error']);
const pureCalls = new Set(['Symbol', 'Symbol.for', 'Object.freeze', 'Object.create', 'BigInt']);

/** Evaluating the expression has no effect beyond allocating: no calls, awaits or writes. */
export function isPure(tsi: typeof ts, expr: ts.Expression): boolean {
  if (
    tsi.isLiteralExpression(expr) ||
    tsi.isIdentifier(expr) ||
    tsi.isNoSubstitutionTemplateLiteral(expr) ||
    tsi.isArrowFunction(expr) ||
    tsi.isFunctionExpression(expr) ||
    expr.kind === tsi.SyntaxKind.TrueKeyword ||
    expr.kind === tsi.SyntaxKind.FalseKeyword ||
    expr.kind === tsi.SyntaxKind.NullKeyword ||
    expr.kind === tsi.SyntaxKind.ThisKeyword
  ) {
    return true;
  }
  if (tsi.isClassExpression(expr)) return true;
  if (
    tsi.isParenthesizedExpression(expr) ||
    tsi.isAsExpression(expr) ||
    tsi.isSatisfiesExpression(expr) ||
    tsi.isNonNullExpression(expr) ||
    tsi.isTypeAssertionExpression(expr) ||
    tsi.isTypeOfExpression(expr) ||
    tsi.isVoidExpression(expr) ||
    tsi.isSpreadElement(expr)
  ) {
    return isPure(tsi, expr.expression);
  }
  if (tsi.isPrefixUnaryExpression(expr)) {
    const op = expr.operator;
    return (
      op !== tsi.SyntaxKind.PlusPlusToken &&
      op !== tsi.SyntaxKind.MinusMinusToken &&
      isPure(tsi, expr.operand)
    );
  }
  if (tsi.isBinaryExpression(expr)) {
    const op = expr.operatorToken.kind;
    if (op >= tsi.SyntaxKind.FirstAssignment && op <= tsi.SyntaxKind.LastAssignment) return false;
    return isPure(tsi, expr.left) && isPure(tsi, expr.right);
  }
  if (tsi.isConditionalExpression(expr)) {
    return isPure(tsi, expr.condition) && isPure(tsi, expr.whenTrue) && isPure(tsi, expr.whenFalse);
  }
  if (tsi.isTemplateExpression(expr))
    return expr.templateSpans.every((s) => isPure(tsi, s.expression));
  if (tsi.isArrayLiteralExpression(expr)) return expr.elements.every((e) => isPure(tsi, e));
  if (tsi.isObjectLiteralExpression(expr)) {
    return expr.properties.every((p) => {
      if (p.name && tsi.isComputedPropertyName(p.name) && !isPure(tsi, p.name.expression))
        return false;
      if (tsi.isPropertyAssignment(p)) return isPure(tsi, p.initializer);
      if (tsi.isSpreadAssignment(p)) return isPure(tsi, p.expression);
      return true; // shorthand, methods, accessors
    });
  }
  if (tsi.isPropertyAccessExpression(expr)) return isPure(tsi, expr.expression);
  if (tsi.isElementAccessExpression(expr)) {
    return isPure(tsi, expr.expression) && isPure(tsi, expr.argumentExpression);
  }
  if (tsi.isNewExpression(expr)) {
    return (
      tsi.isIdentifier(expr.expression) &&
      pureConstructors.has(expr.expression.text) &&
      (expr.arguments ?? []).every((a) => isPure(tsi, a))
    );
  }
  if (tsi.isCallExpression(expr)) {
    return pureCalls.has(expr.expression.getText()) && expr.arguments.every((a) => isPure(tsi, a));
  }
  return false;
}

/** How an identifier is used: read, rebound (`x = 1`, `x++`), or its contents changed. */
export function writeKind(tsi: typeof ts, id: ts.Identifier): 'read' | 'assign' | 'mutate' {
  if (isWriteTarget(tsi, id)) return 'assign';
  let top: ts.Expression = id;
  while (
    (tsi.isPropertyAccessExpression(top.parent) || tsi.isElementAccessExpression(top.parent)) &&
    top.parent.expression === top
  ) {
    top = top.parent;
  }
  if (top === id) return 'read';
  if (isWriteTarget(tsi, top)) return 'mutate';
  const parent = top.parent;
  if (
    tsi.isPropertyAccessExpression(top) &&
    tsi.isCallExpression(parent) &&
    parent.expression === top &&
    mutatingMethods.has(top.name.text)
  ) {
    return 'mutate';
  }
  return 'read';
}

function isWriteTarget(tsi: typeof ts, node: ts.Expression): boolean {
  let child: ts.Node = node;
  let parent = node.parent;
  while (tsi.isParenthesizedExpression(parent) || tsi.isNonNullExpression(parent)) {
    child = parent;
    parent = parent.parent;
  }
  if (tsi.isBinaryExpression(parent)) {
    const op = parent.operatorToken.kind;
    return (
      parent.left === child &&
      op >= tsi.SyntaxKind.FirstAssignment &&
      op <= tsi.SyntaxKind.LastAssignment
    );
  }
  if (tsi.isPrefixUnaryExpression(parent) || tsi.isPostfixUnaryExpression(parent)) {
    return (
      parent.operator === tsi.SyntaxKind.PlusPlusToken ||
      parent.operator === tsi.SyntaxKind.MinusMinusToken
    );
  }
  return tsi.isDeleteExpression(parent);
}
