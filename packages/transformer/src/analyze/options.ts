import type * as ts from 'typescript';

export type Kind = 'serial' | 'async' | 'threaded';

/** A value the compiler could not pin down (not a literal, not a const with a literal type). */
export const dynamic = 'dynamic';

/** What the analysis reads from `@actor(options)`. */
export interface ActorOptionsInfo {
  maxConcurrency?: number | typeof dynamic;
  maxConcurrencyNode?: ts.Node;
  concurrencyGroups?: string[] | typeof dynamic;
  kind?: Kind;
}

/** What the analysis reads from `@method(options)`. */
export interface MethodOptionsInfo {
  threadSafe: boolean;
  /** `@method({ async: true })`: the user says the method returns a promise. */
  async: boolean;
  concurrencyGroup?: string;
  concurrencyGroupNode?: ts.Node;
}

/** Reads an options argument: an object literal, or a const initialised with one. */
export function objectLiteralOf(
  tsi: typeof ts,
  checker: ts.TypeChecker | undefined,
  expr: ts.Expression | undefined,
): ts.ObjectLiteralExpression | undefined {
  if (!expr) return undefined;
  if (tsi.isObjectLiteralExpression(expr)) return expr;
  if (checker && tsi.isIdentifier(expr)) {
    const decl = checker.getSymbolAtLocation(expr)?.valueDeclaration;
    if (
      decl &&
      tsi.isVariableDeclaration(decl) &&
      decl.initializer &&
      tsi.getCombinedNodeFlags(decl) & tsi.NodeFlags.Const
    ) {
      return objectLiteralOf(tsi, checker, skipAs(tsi, decl.initializer));
    }
  }
  return undefined;
}

function skipAs(tsi: typeof ts, expr: ts.Expression): ts.Expression {
  while (
    tsi.isAsExpression(expr) ||
    tsi.isSatisfiesExpression(expr) ||
    tsi.isParenthesizedExpression(expr)
  ) {
    expr = expr.expression;
  }
  return expr;
}

function property(
  tsi: typeof ts,
  literal: ts.ObjectLiteralExpression,
  name: string,
): ts.Expression | undefined {
  for (const p of literal.properties) {
    if (!p.name || (!tsi.isIdentifier(p.name) && !tsi.isStringLiteral(p.name))) continue;
    if (p.name.text !== name) continue;
    if (tsi.isPropertyAssignment(p)) return skipAs(tsi, p.initializer);
    if (tsi.isShorthandPropertyAssignment(p)) return p.name;
  }
  return undefined;
}

function numberValue(
  tsi: typeof ts,
  checker: ts.TypeChecker | undefined,
  expr: ts.Expression,
): number | typeof dynamic {
  if (tsi.isNumericLiteral(expr)) return Number(expr.text);
  if (checker) {
    const type = checker.getTypeAtLocation(expr);
    if (type.isNumberLiteral()) return type.value;
  }
  return dynamic;
}

function stringValue(
  tsi: typeof ts,
  checker: ts.TypeChecker | undefined,
  expr: ts.Expression,
): string | undefined {
  if (tsi.isStringLiteralLike(expr)) return expr.text;
  if (checker) {
    const type = checker.getTypeAtLocation(expr);
    if (type.isStringLiteral()) return type.value;
  }
  return undefined;
}

/** Reads maxConcurrency, concurrencyGroups and an explicit kind from `@actor(options)`. */
export function readActorOptions(
  tsi: typeof ts,
  checker: ts.TypeChecker | undefined,
  arg: ts.Expression | undefined,
): ActorOptionsInfo {
  const info: ActorOptionsInfo = {};
  if (!arg) return info;
  const literal = objectLiteralOf(tsi, checker, arg);
  if (!literal) {
    // An options object the compiler cannot see into: read what the type says.
    if (!checker) return { maxConcurrency: dynamic };
    const type = checker.getTypeAtLocation(arg);
    const max = type.getProperty('maxConcurrency');
    if (max) {
      const t = checker.getTypeOfSymbol(max);
      info.maxConcurrency = t.isNumberLiteral() ? t.value : dynamic;
      info.maxConcurrencyNode = arg;
    }
    if (type.getProperty('concurrencyGroups')) info.concurrencyGroups = dynamic;
    return info;
  }
  const max = property(tsi, literal, 'maxConcurrency');
  if (max) {
    info.maxConcurrency = numberValue(tsi, checker, max);
    info.maxConcurrencyNode = max;
  }
  const groups = property(tsi, literal, 'concurrencyGroups');
  if (groups) {
    const groupsLiteral = objectLiteralOf(tsi, checker, groups);
    if (
      !groupsLiteral ||
      groupsLiteral.properties.some((p) => !p.name || tsi.isComputedPropertyName(p.name))
    ) {
      info.concurrencyGroups = dynamic;
    } else {
      info.concurrencyGroups = groupsLiteral.properties.map((p) =>
        p.name &&
        (tsi.isIdentifier(p.name) ||
          tsi.isStringLiteralLike(p.name) ||
          tsi.isNumericLiteral(p.name))
          ? p.name.text
          : '',
      );
    }
  }
  const kind = property(tsi, literal, 'kind');
  if (kind) {
    const value = stringValue(tsi, checker, kind);
    if (value === 'serial' || value === 'async' || value === 'threaded') info.kind = value;
  }
  return info;
}

/** Reads threadSafe and concurrencyGroup from `@method(options)`. */
export function readMethodOptions(
  tsi: typeof ts,
  checker: ts.TypeChecker | undefined,
  arg: ts.Expression | undefined,
): MethodOptionsInfo {
  const info: MethodOptionsInfo = { threadSafe: false, async: false };
  const literal = objectLiteralOf(tsi, checker, arg);
  if (!literal) return info;
  const threadSafe = property(tsi, literal, 'threadSafe');
  info.threadSafe = !!threadSafe && threadSafe.kind === tsi.SyntaxKind.TrueKeyword;
  const async = property(tsi, literal, 'async');
  info.async = !!async && async.kind === tsi.SyntaxKind.TrueKeyword;
  const group = property(tsi, literal, 'concurrencyGroup');
  if (group) {
    info.concurrencyGroup = stringValue(tsi, checker, group);
    info.concurrencyGroupNode = group;
  }
  return info;
}
