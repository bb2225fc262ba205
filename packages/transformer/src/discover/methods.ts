import type { TransformContext } from '../context';
import { ts } from '../typescript';

/** One entry of an actor's method table. */
export interface MethodInfo {
  name: string;
  /** `async` keyword, or a declared or inferred Promise/PromiseLike (any thenable) return type. */
  async: boolean;
  declaration: ts.Declaration;
  /** Declared in the actor class itself rather than inherited. */
  own: boolean;
}

/**
 * Every public instance method, own and inherited, in declaration order (own first). Methods
 * declared as properties holding a function (`run = async () => {}`) count too: handles can call
 * them.
 */
export function methodTable(ctx: TransformContext, cls: ts.ClassLikeDeclaration): MethodInfo[] {
  const { checker } = ctx;
  if (!checker) return ownMethodsSyntactically(cls);
  const classSymbol = cls.name ? checker.getSymbolAtLocation(cls.name) : undefined;
  const classType = classSymbol
    ? checker.getDeclaredTypeOfSymbol(classSymbol)
    : checker.getTypeAtLocation(cls);
  const methods: MethodInfo[] = [];
  for (const property of checker.getPropertiesOfType(classType)) {
    const declaration = property.valueDeclaration ?? property.declarations?.[0];
    if (!declaration || !isPublicMethodLike(declaration)) continue;
    const type = checker.getTypeOfSymbolAtLocation(property, cls);
    const async =
      hasAsyncKeyword(declaration) ||
      type.getCallSignatures().some((s) => isThenable(checker, s.getReturnType()));
    methods.push({ name: property.name, async, declaration, own: declaration.parent === cls });
  }
  return methods;
}

function ownMethodsSyntactically(cls: ts.ClassLikeDeclaration): MethodInfo[] {
  const methods: MethodInfo[] = [];
  for (const member of cls.members) {
    if (!isPublicMethodLike(member) || !member.name) continue;
    if (!ts.isIdentifier(member.name) && !ts.isStringLiteral(member.name)) continue;
    const returnType = returnTypeNode(member);
    const async =
      hasAsyncKeyword(member) ||
      (!!returnType &&
        ts.isTypeReferenceNode(returnType) &&
        /^(Promise|PromiseLike)$/.test(returnType.typeName.getText()));
    methods.push({ name: member.name.text, async, declaration: member, own: true });
  }
  return methods;
}

function returnTypeNode(member: ts.Node): ts.TypeNode | undefined {
  if (ts.isMethodDeclaration(member)) return member.type;
  if (ts.isPropertyDeclaration(member) && member.initializer) {
    const init = member.initializer;
    if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init.type;
  }
  return undefined;
}

/** Methods, and properties initialised with a function, that are neither private nor static. */
export function isPublicMethodLike(
  node: ts.Node,
): node is ts.MethodDeclaration | ts.MethodSignature | ts.PropertyDeclaration {
  let isMethod = ts.isMethodDeclaration(node) || ts.isMethodSignature(node);
  if (ts.isPropertyDeclaration(node) && node.initializer) {
    const init = node.initializer;
    isMethod = ts.isArrowFunction(init) || ts.isFunctionExpression(init);
  }
  if (!isMethod) return false;
  const named = node as ts.MethodDeclaration;
  if (!named.name || ts.isPrivateIdentifier(named.name)) return false;
  const flags = ts.getCombinedModifierFlags(named);
  return !(
    flags &
    (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Static)
  );
}

function hasAsyncKeyword(node: ts.Node): boolean {
  let fn: ts.Node = node;
  if (ts.isPropertyDeclaration(node) && node.initializer) fn = node.initializer;
  const modifiers = ts.canHaveModifiers(fn) ? ts.getModifiers(fn) : undefined;
  return !!modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
}

/** A type is thenable when it (or any member of a union) has a callable `then`. */
export function isThenable(checker: ts.TypeChecker, type: ts.Type): boolean {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return false;
  if (type.isUnion()) return type.types.some((t) => isThenable(checker, t));
  const then = checker.getPropertyOfType(type, 'then');
  if (!then) return false;
  return checker.getTypeOfSymbol(then).getCallSignatures().length > 0;
}
