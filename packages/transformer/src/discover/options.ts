import { ACTOR_KINDS, type ActorKind } from '@troupe/contract';
import type { TransformContext } from '../context';
import { ts } from '../typescript';
import { skipOuter } from './runtime-symbols';

/** A value the compiler could not pin down (not a literal, not a const with a literal type). */
export const dynamic = 'dynamic';

/** What the analysis reads from `@actor(options)`. */
export interface ActorOptionsInfo {
  maxConcurrency?: number | typeof dynamic;
  maxConcurrencyNode?: ts.Node;
  concurrencyGroups?: string[] | typeof dynamic;
  kind?: ActorKind;
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
  checker: ts.TypeChecker | undefined,
  expr: ts.Expression | undefined,
): ts.ObjectLiteralExpression | undefined {
  if (!expr) return undefined;
  if (ts.isObjectLiteralExpression(expr)) return expr;
  if (checker && ts.isIdentifier(expr)) {
    const decl = checker.getSymbolAtLocation(expr)?.valueDeclaration;
    if (
      decl &&
      ts.isVariableDeclaration(decl) &&
      decl.initializer &&
      ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const
    ) {
      return objectLiteralOf(checker, skipOuter(decl.initializer));
    }
  }
  return undefined;
}

function property(literal: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined {
  for (const p of literal.properties) {
    if (!p.name || (!ts.isIdentifier(p.name) && !ts.isStringLiteral(p.name))) continue;
    if (p.name.text !== name) continue;
    if (ts.isPropertyAssignment(p)) return skipOuter(p.initializer);
    if (ts.isShorthandPropertyAssignment(p)) return p.name;
  }
  return undefined;
}

function numberValue(
  checker: ts.TypeChecker | undefined,
  expr: ts.Expression,
): number | typeof dynamic {
  if (ts.isNumericLiteral(expr)) return Number(expr.text);
  if (checker) {
    const type = checker.getTypeAtLocation(expr);
    if (type.isNumberLiteral()) return type.value;
  }
  return dynamic;
}

function stringValue(checker: ts.TypeChecker | undefined, expr: ts.Expression): string | undefined {
  if (ts.isStringLiteralLike(expr)) return expr.text;
  if (checker) {
    const type = checker.getTypeAtLocation(expr);
    if (type.isStringLiteral()) return type.value;
  }
  return undefined;
}

/** Reads maxConcurrency, concurrencyGroups and an explicit kind from `@actor(options)`. */
export function readActorOptions(
  ctx: TransformContext,
  arg: ts.Expression | undefined,
): ActorOptionsInfo {
  const { checker } = ctx;
  const info: ActorOptionsInfo = {};
  if (!arg) return info;
  const literal = objectLiteralOf(checker, arg);
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
  const max = property(literal, 'maxConcurrency');
  if (max) {
    info.maxConcurrency = numberValue(checker, max);
    info.maxConcurrencyNode = max;
  }
  const groups = property(literal, 'concurrencyGroups');
  if (groups) {
    const groupsLiteral = objectLiteralOf(checker, groups);
    if (
      !groupsLiteral ||
      groupsLiteral.properties.some((p) => !p.name || ts.isComputedPropertyName(p.name))
    ) {
      info.concurrencyGroups = dynamic;
    } else {
      info.concurrencyGroups = groupsLiteral.properties.map((p) =>
        p.name &&
        (ts.isIdentifier(p.name) || ts.isStringLiteralLike(p.name) || ts.isNumericLiteral(p.name))
          ? p.name.text
          : '',
      );
    }
  }
  const kind = property(literal, 'kind');
  if (kind) {
    const value = stringValue(checker, kind);
    const known = ACTOR_KINDS.find((k) => k === value);
    if (known) info.kind = known;
  }
  return info;
}

/** Reads threadSafe and concurrencyGroup from `@method(options)`. */
export function readMethodOptions(
  ctx: TransformContext,
  arg: ts.Expression | undefined,
): MethodOptionsInfo {
  const { checker } = ctx;
  const info: MethodOptionsInfo = { threadSafe: false, async: false };
  const literal = objectLiteralOf(checker, arg);
  if (!literal) return info;
  const threadSafe = property(literal, 'threadSafe');
  info.threadSafe = !!threadSafe && threadSafe.kind === ts.SyntaxKind.TrueKeyword;
  const async = property(literal, 'async');
  info.async = !!async && async.kind === ts.SyntaxKind.TrueKeyword;
  const group = property(literal, 'concurrencyGroup');
  if (group) {
    info.concurrencyGroup = stringValue(checker, group);
    info.concurrencyGroupNode = group;
  }
  return info;
}
