import type { TransformContext } from '../context';
import { Code, type Finding } from '../diagnostics';
import { type ActorClass, methodOptions, runtimeDecoratorCall } from '../discover/actors';
import { mutatingMethods } from '../discover/module-shape';
import { skipOuter } from '../discover/runtime-symbols';
import { TYPED_ARRAYS } from '../discover/typed-arrays';
import { ts } from '../typescript';

const mutableContainers = new Set(['Array', 'Map', 'Set', 'WeakMap', 'WeakSet', ...TYPED_ARRAYS]);

/**
 * TROUPE101: a method of a threaded actor writes ordinary instance state. Each thread holds its
 * own replica, so such a write silently diverges. Writes hidden inside functions the method calls
 * outside the class are out of reach.
 */
export function checkThreadedMutations(ctx: TransformContext, actor: ActorClass): Finding[] {
  if (actor.kind !== 'threaded') return [];
  const exempt = exemptFields(ctx, actor.node);
  const findings: Finding[] = [];
  for (const member of actor.node.members) {
    if (ts.isConstructorDeclaration(member) || ts.isClassStaticBlockDeclaration(member)) continue;
    const modifiers = ts.canHaveModifiers(member) ? ts.getModifiers(member) : undefined;
    if (modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) continue;
    let body: ts.Node | undefined;
    if (ts.isMethodDeclaration(member)) body = member.body;
    else if (ts.isPropertyDeclaration(member) && member.initializer) {
      const init = member.initializer;
      if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) body = init.body;
    }
    if (!body || methodOptions(ctx, member).threadSafe) continue;
    const methodName = member.name?.getText() ?? '(method)';
    new MutationWalker(ctx, actor, methodName, exempt, findings).walk(body);
  }
  return findings;
}

/** Fields that may be written: @perThread() ones and those holding shared primitives. */
function exemptFields(ctx: TransformContext, cls: ts.ClassLikeDeclaration): Set<string> {
  const { checker } = ctx;
  const exempt = new Set<string>();
  const consider = (name: string, node: ts.Node, initializer: ts.Expression | undefined) => {
    if (runtimeDecoratorCall(ctx, node, 'perThread')) exempt.add(name);
    else if (initializer && isSharedExpression(ctx, initializer)) exempt.add(name);
    else if (checker && isSharedType(ctx, checker.getTypeAtLocation(node))) exempt.add(name);
  };
  for (const member of cls.members) {
    if (ts.isPropertyDeclaration(member) && member.name) {
      consider(member.name.getText(), member, member.initializer);
    }
    if (ts.isConstructorDeclaration(member)) {
      for (const param of member.parameters) {
        if (ts.isIdentifier(param.name) && ts.getModifiers(param)?.length) {
          consider(param.name.text, param, undefined);
        }
      }
      // `this.x = sharedArray(...)` in the constructor makes x shared.
      const visit = (node: ts.Node): void => {
        if (
          ts.isBinaryExpression(node) &&
          node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
          ts.isPropertyAccessExpression(node.left) &&
          node.left.expression.kind === ts.SyntaxKind.ThisKeyword &&
          isSharedExpression(ctx, node.right)
        ) {
          exempt.add(node.left.name.text);
        }
        ts.forEachChild(node, visit);
      };
      if (member.body) visit(member.body);
    }
  }
  return exempt;
}

function isSharedExpression(ctx: TransformContext, expression: ts.Expression): boolean {
  const expr = skipOuter(expression);
  if (ts.isCallExpression(expr)) return ctx.runtime.resolve(expr.expression) === 'sharedArray';
  if (ts.isNewExpression(expr)) {
    const callee = ctx.runtime.resolve(expr.expression);
    if (callee === 'SharedCounter' || callee === 'Mutex') return true;
    const first = expr.arguments?.[0];
    return (
      !!first &&
      ts.isNewExpression(first) &&
      ts.isIdentifier(first.expression) &&
      first.expression.text === 'SharedArrayBuffer'
    );
  }
  return false;
}

/** A shared primitive (SharedCounter, Mutex, any SharedPrimitive), or a typed array over a SharedArrayBuffer. */
function isSharedType(ctx: TransformContext, type: ts.Type): boolean {
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
    private readonly ctx: TransformContext,
    private readonly actor: ActorClass,
    private readonly methodName: string,
    private readonly exempt: Set<string>,
    private readonly findings: Finding[],
  ) {}

  walk(node: ts.Node): void {
    // Functions and classes nested in the method have their own `this`.
    if (ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isClassLike(node)) {
      return;
    }
    if (ts.isVariableDeclaration(node) && node.initializer) this.recordAlias(node);
    if (ts.isBinaryExpression(node) && isAssignment(node.operatorToken.kind)) {
      this.checkTarget(node.left, node);
    } else if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      (node.operator === ts.SyntaxKind.PlusPlusToken ||
        node.operator === ts.SyntaxKind.MinusMinusToken)
    ) {
      this.checkTarget(node.operand, node);
    } else if (ts.isDeleteExpression(node)) {
      this.checkTarget(node.expression, node);
    } else if (ts.isCallExpression(node)) {
      this.checkCall(node);
    }
    ts.forEachChild(node, (child) => this.walk(child));
  }

  private recordAlias(decl: ts.VariableDeclaration): void {
    const init = skipOuter(decl.initializer as ts.Expression);
    if (ts.isIdentifier(decl.name)) {
      const symbol = this.symbolOf(decl.name);
      if (!symbol) return;
      if (this.isThis(init)) this.thisAliases.add(symbol);
      else {
        const field = this.fieldOf(init);
        if (field) this.fieldAliases.set(symbol, field);
      }
    } else if (ts.isObjectBindingPattern(decl.name) && this.isThis(init)) {
      // `const { items } = this`
      for (const element of decl.name.elements) {
        if (!ts.isIdentifier(element.name)) continue;
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
    const expr = skipOuter(expression);
    if (expr.kind === ts.SyntaxKind.ThisKeyword) return true;
    if (!ts.isIdentifier(expr)) return false;
    const key = this.aliasKey(expr);
    return !!key && this.thisAliases.has(key);
  }

  /** The instance field an expression reads, directly, deeper inside it, or via a local alias. */
  private fieldOf(expression: ts.Expression): string | undefined {
    const expr = skipOuter(expression);
    if (ts.isPropertyAccessExpression(expr) || ts.isElementAccessExpression(expr)) {
      if (this.isThis(expr.expression)) {
        if (ts.isPropertyAccessExpression(expr)) return expr.name.text;
        const arg = expr.argumentExpression;
        return ts.isStringLiteralLike(arg) ? arg.text : `[${arg.getText()}]`;
      }
      return this.fieldOf(expr.expression);
    }
    if (ts.isIdentifier(expr)) {
      const key = this.aliasKey(expr);
      return key ? this.fieldAliases.get(key) : undefined;
    }
    return undefined;
  }

  private checkTarget(target: ts.Expression, at: ts.Node): void {
    const expr = skipOuter(target);
    if (ts.isArrayLiteralExpression(expr)) {
      for (const element of expr.elements) {
        this.checkTarget(ts.isSpreadElement(element) ? element.expression : element, at);
      }
      return;
    }
    if (ts.isObjectLiteralExpression(expr)) {
      for (const p of expr.properties) {
        if (ts.isPropertyAssignment(p)) this.checkTarget(p.initializer, at);
        else if (ts.isSpreadAssignment(p)) this.checkTarget(p.expression, at);
      }
      return;
    }
    if (ts.isBinaryExpression(expr) && expr.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      this.checkTarget(expr.left, at); // a destructuring default: `[this.a = 1] = xs`
      return;
    }
    // Reassigning a local alias itself is fine; writing through it is not.
    if (!ts.isPropertyAccessExpression(expr) && !ts.isElementAccessExpression(expr)) return;
    const field = this.fieldOf(expr);
    if (field) this.report(field, at, expr);
  }

  private checkCall(call: ts.CallExpression): void {
    const { checker } = this.ctx;
    const callee = skipOuter(call.expression);
    // Object.assign(this.x, ...), Object.defineProperty(this, ...)
    if (
      ts.isPropertyAccessExpression(callee) &&
      ts.isIdentifier(callee.expression) &&
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
    if (!ts.isPropertyAccessExpression(callee) || !mutatingMethods.has(callee.name.text)) return;
    const receiver = callee.expression;
    const field = this.fieldOf(receiver);
    if (!field) return;
    if (checker && !isMutableContainer(checker, checker.getTypeAtLocation(receiver))) return;
    this.report(field, call, receiver);
  }

  private report(field: string, at: ts.Node, target: ts.Expression): void {
    const root = field.replace(/^\[|\]$/g, '');
    if (this.exempt.has(field) || this.exempt.has(root)) return;
    let base = skipOuter(target);
    while (ts.isPropertyAccessExpression(base) || ts.isElementAccessExpression(base)) {
      base = skipOuter(base.expression);
    }
    const alias = ts.isIdentifier(base) ? ` through the alias \`${base.text}\`` : '';
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

function isAssignment(kind: ts.SyntaxKind): boolean {
  return kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment;
}

function isMutableContainer(checker: ts.TypeChecker, type: ts.Type): boolean {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return true;
  if (type.isUnionOrIntersection()) return type.types.some((t) => isMutableContainer(checker, t));
  if (checker.isArrayType(type) || checker.isTupleType(type)) return true;
  const name = type.getSymbol()?.name;
  return !!name && mutableContainers.has(name);
}
