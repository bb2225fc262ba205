import type * as ts from 'typescript';
import { Code, type Finding } from '../diagnostics';
import {
  type ActorClass,
  type AnalysisContext,
  methodOptions,
  runtimeDecoratorCall,
} from './actors';
import { skipOuter } from './runtime-symbols';
import { TYPED_ARRAYS } from './typed-arrays';

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

const mutableContainers = new Set(['Array', 'Map', 'Set', 'WeakMap', 'WeakSet', ...TYPED_ARRAYS]);

/**
 * TROUPE101: a method of a threaded actor writes ordinary instance state. Each thread holds its
 * own replica, so such a write silently diverges. Writes hidden inside functions the method calls
 * outside the class are out of reach.
 */
export function checkThreadedMutations(ctx: AnalysisContext, actor: ActorClass): Finding[] {
  const { tsi } = ctx;
  if (actor.kind !== 'threaded') return [];
  const exempt = exemptFields(ctx, actor.node);
  const findings: Finding[] = [];
  for (const member of actor.node.members) {
    if (tsi.isConstructorDeclaration(member) || tsi.isClassStaticBlockDeclaration(member)) continue;
    const modifiers = tsi.canHaveModifiers(member) ? tsi.getModifiers(member) : undefined;
    if (modifiers?.some((m) => m.kind === tsi.SyntaxKind.StaticKeyword)) continue;
    let body: ts.Node | undefined;
    if (tsi.isMethodDeclaration(member)) body = member.body;
    else if (tsi.isPropertyDeclaration(member) && member.initializer) {
      const init = member.initializer;
      if (tsi.isArrowFunction(init) || tsi.isFunctionExpression(init)) body = init.body;
    }
    if (!body || methodOptions(ctx, member).threadSafe) continue;
    const methodName = member.name?.getText() ?? '(method)';
    new MutationWalker(ctx, actor, methodName, exempt, findings).walk(body);
  }
  return findings;
}

/** Fields that may be written: @perThread() ones and those holding shared primitives. */
function exemptFields(ctx: AnalysisContext, cls: ts.ClassLikeDeclaration): Set<string> {
  const { tsi, checker } = ctx;
  const exempt = new Set<string>();
  const consider = (name: string, node: ts.Node, initializer: ts.Expression | undefined) => {
    if (runtimeDecoratorCall(ctx, node, 'perThread')) exempt.add(name);
    else if (initializer && isSharedExpression(ctx, initializer)) exempt.add(name);
    else if (checker && isSharedType(ctx, checker.getTypeAtLocation(node))) exempt.add(name);
  };
  for (const member of cls.members) {
    if (tsi.isPropertyDeclaration(member) && member.name) {
      consider(member.name.getText(), member, member.initializer);
    }
    if (tsi.isConstructorDeclaration(member)) {
      for (const param of member.parameters) {
        if (tsi.isIdentifier(param.name) && tsi.getModifiers(param)?.length) {
          consider(param.name.text, param, undefined);
        }
      }
      // `this.x = sharedArray(...)` in the constructor makes x shared.
      const visit = (node: ts.Node): void => {
        if (
          tsi.isBinaryExpression(node) &&
          node.operatorToken.kind === tsi.SyntaxKind.EqualsToken &&
          tsi.isPropertyAccessExpression(node.left) &&
          node.left.expression.kind === tsi.SyntaxKind.ThisKeyword &&
          isSharedExpression(ctx, node.right)
        ) {
          exempt.add(node.left.name.text);
        }
        tsi.forEachChild(node, visit);
      };
      if (member.body) visit(member.body);
    }
  }
  return exempt;
}

function isSharedExpression(ctx: AnalysisContext, expression: ts.Expression): boolean {
  const { tsi } = ctx;
  const expr = skipOuter(tsi, expression);
  if (tsi.isCallExpression(expr)) return ctx.runtime.resolve(expr.expression) === 'sharedArray';
  if (tsi.isNewExpression(expr)) {
    const callee = ctx.runtime.resolve(expr.expression);
    if (callee === 'SharedCounter' || callee === 'Mutex') return true;
    const first = expr.arguments?.[0];
    return (
      !!first &&
      tsi.isNewExpression(first) &&
      tsi.isIdentifier(first.expression) &&
      first.expression.text === 'SharedArrayBuffer'
    );
  }
  return false;
}

/** A shared primitive (SharedCounter, Mutex, any SharedPrimitive), or a typed array over a SharedArrayBuffer. */
function isSharedType(ctx: AnalysisContext, type: ts.Type): boolean {
  const { checker } = ctx;
  if (!checker) return false;
  const seen = new Set<ts.Type>();
  const isPrimitive = (t: ts.Type): boolean => {
    if (seen.has(t)) return false;
    seen.add(t);
    const symbol = t.aliasSymbol ?? t.getSymbol();
    const name = symbol && ctx.runtime.fromSymbol(symbol);
    if (name === 'SharedCounter' || name === 'Mutex' || name === 'SharedPrimitive') return true;
    return t.isClassOrInterface() && (checker.getBaseTypes(t) ?? []).some(isPrimitive);
  };
  const target = (type as ts.TypeReference).target ?? type;
  if (isPrimitive(type) || isPrimitive(target)) return true;
  const buffer = type.getProperty('buffer');
  if (!buffer || !type.getProperty('BYTES_PER_ELEMENT')) return false;
  const bufferType = checker.getTypeOfSymbol(buffer);
  return bufferType.getSymbol()?.name === 'SharedArrayBuffer';
}

class MutationWalker {
  private readonly thisAliases = new Set<ts.Symbol>();
  private readonly fieldAliases = new Map<ts.Symbol, string>();

  constructor(
    private readonly ctx: AnalysisContext,
    private readonly actor: ActorClass,
    private readonly methodName: string,
    private readonly exempt: Set<string>,
    private readonly findings: Finding[],
  ) {}

  walk(node: ts.Node): void {
    const tsi = this.ctx.tsi;
    // Functions and classes nested in the method have their own `this`.
    if (
      tsi.isFunctionDeclaration(node) ||
      tsi.isFunctionExpression(node) ||
      tsi.isClassLike(node)
    ) {
      return;
    }
    if (tsi.isVariableDeclaration(node) && node.initializer) this.recordAlias(node);
    if (tsi.isBinaryExpression(node) && isAssignment(tsi, node.operatorToken.kind)) {
      this.checkTarget(node.left, node);
    } else if (
      (tsi.isPrefixUnaryExpression(node) || tsi.isPostfixUnaryExpression(node)) &&
      (node.operator === tsi.SyntaxKind.PlusPlusToken ||
        node.operator === tsi.SyntaxKind.MinusMinusToken)
    ) {
      this.checkTarget(node.operand, node);
    } else if (tsi.isDeleteExpression(node)) {
      this.checkTarget(node.expression, node);
    } else if (tsi.isCallExpression(node)) {
      this.checkCall(node);
    }
    tsi.forEachChild(node, (child) => this.walk(child));
  }

  private recordAlias(decl: ts.VariableDeclaration): void {
    const { tsi } = this.ctx;
    const init = skipOuter(tsi, decl.initializer as ts.Expression);
    if (tsi.isIdentifier(decl.name)) {
      const symbol = this.symbolOf(decl.name);
      if (!symbol) return;
      if (this.isThis(init)) this.thisAliases.add(symbol);
      else {
        const field = this.fieldOf(init);
        if (field) this.fieldAliases.set(symbol, field);
      }
    } else if (tsi.isObjectBindingPattern(decl.name) && this.isThis(init)) {
      // `const { items } = this`
      for (const element of decl.name.elements) {
        if (!tsi.isIdentifier(element.name)) continue;
        const symbol = this.symbolOf(element.name);
        const field = (element.propertyName ?? element.name).getText();
        if (symbol) this.fieldAliases.set(symbol, field);
      }
    }
  }

  private symbolOf(id: ts.Identifier): ts.Symbol | undefined {
    const { checker } = this.ctx;
    // Without a checker, identity by name is close enough within one method.
    return checker ? checker.getSymbolAtLocation(id) : ({ name: id.text } as ts.Symbol);
  }

  private aliasKey(id: ts.Identifier): ts.Symbol | undefined {
    const { checker } = this.ctx;
    if (checker) return checker.getSymbolAtLocation(id);
    for (const key of [...this.thisAliases, ...this.fieldAliases.keys()]) {
      if (key.name === id.text) return key;
    }
    return undefined;
  }

  private isThis(expression: ts.Expression): boolean {
    const tsi = this.ctx.tsi;
    const expr = skipOuter(tsi, expression);
    if (expr.kind === tsi.SyntaxKind.ThisKeyword) return true;
    if (!tsi.isIdentifier(expr)) return false;
    const key = this.aliasKey(expr);
    return !!key && this.thisAliases.has(key);
  }

  /** The instance field an expression reads, directly, deeper inside it, or via a local alias. */
  private fieldOf(expression: ts.Expression): string | undefined {
    const tsi = this.ctx.tsi;
    const expr = skipOuter(tsi, expression);
    if (tsi.isPropertyAccessExpression(expr) || tsi.isElementAccessExpression(expr)) {
      if (this.isThis(expr.expression)) {
        if (tsi.isPropertyAccessExpression(expr)) return expr.name.text;
        const arg = expr.argumentExpression;
        return tsi.isStringLiteralLike(arg) ? arg.text : `[${arg.getText()}]`;
      }
      return this.fieldOf(expr.expression);
    }
    if (tsi.isIdentifier(expr)) {
      const key = this.aliasKey(expr);
      return key ? this.fieldAliases.get(key) : undefined;
    }
    return undefined;
  }

  private checkTarget(target: ts.Expression, at: ts.Node): void {
    const tsi = this.ctx.tsi;
    const expr = skipOuter(tsi, target);
    if (tsi.isArrayLiteralExpression(expr)) {
      for (const element of expr.elements) {
        this.checkTarget(tsi.isSpreadElement(element) ? element.expression : element, at);
      }
      return;
    }
    if (tsi.isObjectLiteralExpression(expr)) {
      for (const p of expr.properties) {
        if (tsi.isPropertyAssignment(p)) this.checkTarget(p.initializer, at);
        else if (tsi.isSpreadAssignment(p)) this.checkTarget(p.expression, at);
      }
      return;
    }
    if (tsi.isBinaryExpression(expr) && expr.operatorToken.kind === tsi.SyntaxKind.EqualsToken) {
      this.checkTarget(expr.left, at); // a destructuring default: `[this.a = 1] = xs`
      return;
    }
    // Reassigning a local alias itself is fine; writing through it is not.
    if (!tsi.isPropertyAccessExpression(expr) && !tsi.isElementAccessExpression(expr)) return;
    const field = this.fieldOf(expr);
    if (field) this.report(field, at, expr);
  }

  private checkCall(call: ts.CallExpression): void {
    const { tsi, checker } = this.ctx;
    const callee = skipOuter(tsi, call.expression);
    // Object.assign(this.x, ...), Object.defineProperty(this, ...)
    if (
      tsi.isPropertyAccessExpression(callee) &&
      tsi.isIdentifier(callee.expression) &&
      (callee.expression.text === 'Object' || callee.expression.text === 'Reflect') &&
      /^(assign|defineProperty|defineProperties|set|deleteProperty|setPrototypeOf)$/.test(
        callee.name.text,
      ) &&
      call.arguments[0]
    ) {
      const target = call.arguments[0];
      const field = this.isThis(target) ? '(this)' : this.fieldOf(target);
      if (field) this.report(field, call, target);
      return;
    }
    if (!tsi.isPropertyAccessExpression(callee) || !mutatingMethods.has(callee.name.text)) return;
    const receiver = callee.expression;
    const field = this.fieldOf(receiver);
    if (!field) return;
    if (checker && !isMutableContainer(tsi, checker, checker.getTypeAtLocation(receiver))) return;
    this.report(field, call, receiver);
  }

  private report(field: string, at: ts.Node, target: ts.Expression): void {
    const root = field.replace(/^\[|\]$/g, '');
    if (this.exempt.has(field) || this.exempt.has(root)) return;
    const tsi = this.ctx.tsi;
    let base = skipOuter(tsi, target);
    while (tsi.isPropertyAccessExpression(base) || tsi.isElementAccessExpression(base)) {
      base = skipOuter(tsi, base.expression);
    }
    const alias = tsi.isIdentifier(base) ? ` through the alias \`${base.text}\`` : '';
    const threads =
      typeof this.actor.options.maxConcurrency === 'number'
        ? `each of its ${this.actor.options.maxConcurrency} threads`
        : 'each of its threads';
    this.findings.push({
      code: Code.threadedMutation,
      node: at,
      message:
        `method \`${this.methodName}\` of threaded actor \`${this.actor.name ?? '(anonymous)'}\` ` +
        `mutates the instance field \`${field}\`${alias}; ${threads} holds its own copy, so the ` +
        'write is not shared and the copies diverge.',
    });
  }
}

function isAssignment(tsi: typeof ts, kind: ts.SyntaxKind): boolean {
  return kind >= tsi.SyntaxKind.FirstAssignment && kind <= tsi.SyntaxKind.LastAssignment;
}

function isMutableContainer(tsi: typeof ts, checker: ts.TypeChecker, type: ts.Type): boolean {
  if (type.flags & (tsi.TypeFlags.Any | tsi.TypeFlags.Unknown)) return true;
  if (type.isUnionOrIntersection())
    return type.types.some((t) => isMutableContainer(tsi, checker, t));
  if (checker.isArrayType(type) || checker.isTupleType(type)) return true;
  const name = type.getSymbol()?.name;
  return !!name && mutableContainers.has(name);
}
