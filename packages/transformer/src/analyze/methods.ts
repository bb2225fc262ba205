import type * as ts from 'typescript';

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
export function methodTable(
  tsi: typeof ts,
  checker: ts.TypeChecker | undefined,
  cls: ts.ClassLikeDeclaration,
): MethodInfo[] {
  if (!checker) return ownMethodsSyntactically(tsi, cls);
  const classSymbol = cls.name ? checker.getSymbolAtLocation(cls.name) : undefined;
  const classType = classSymbol
    ? checker.getDeclaredTypeOfSymbol(classSymbol)
    : checker.getTypeAtLocation(cls);
  const methods: MethodInfo[] = [];
  for (const property of checker.getPropertiesOfType(classType)) {
    const declaration = property.valueDeclaration ?? property.declarations?.[0];
    if (!declaration || !isPublicMethodLike(tsi, declaration)) continue;
    const type = checker.getTypeOfSymbolAtLocation(property, cls);
    const async =
      hasAsyncKeyword(tsi, declaration) ||
      type.getCallSignatures().some((s) => isThenable(tsi, checker, s.getReturnType()));
    methods.push({ name: property.name, async, declaration, own: declaration.parent === cls });
  }
  return methods;
}

function ownMethodsSyntactically(tsi: typeof ts, cls: ts.ClassLikeDeclaration): MethodInfo[] {
  const methods: MethodInfo[] = [];
  for (const member of cls.members) {
    if (!isPublicMethodLike(tsi, member) || !member.name) continue;
    if (!tsi.isIdentifier(member.name) && !tsi.isStringLiteral(member.name)) continue;
    const returnType = returnTypeNode(tsi, member);
    const async =
      hasAsyncKeyword(tsi, member) ||
      (!!returnType &&
        tsi.isTypeReferenceNode(returnType) &&
        /^(Promise|PromiseLike)$/.test(returnType.typeName.getText()));
    methods.push({ name: member.name.text, async, declaration: member, own: true });
  }
  return methods;
}

function returnTypeNode(tsi: typeof ts, member: ts.Node): ts.TypeNode | undefined {
  if (tsi.isMethodDeclaration(member)) return member.type;
  if (tsi.isPropertyDeclaration(member) && member.initializer) {
    const init = member.initializer;
    if (tsi.isArrowFunction(init) || tsi.isFunctionExpression(init)) return init.type;
  }
  return undefined;
}

/** Methods, and properties initialised with a function, that are neither private nor static. */
export function isPublicMethodLike(
  tsi: typeof ts,
  node: ts.Node,
): node is ts.MethodDeclaration | ts.MethodSignature | ts.PropertyDeclaration {
  let isMethod = tsi.isMethodDeclaration(node) || tsi.isMethodSignature(node);
  if (tsi.isPropertyDeclaration(node) && node.initializer) {
    const init = node.initializer;
    isMethod = tsi.isArrowFunction(init) || tsi.isFunctionExpression(init);
  }
  if (!isMethod) return false;
  const named = node as ts.MethodDeclaration;
  if (!named.name || tsi.isPrivateIdentifier(named.name)) return false;
  const flags = tsi.getCombinedModifierFlags(named);
  return !(
    flags &
    (tsi.ModifierFlags.Private | tsi.ModifierFlags.Protected | tsi.ModifierFlags.Static)
  );
}

function hasAsyncKeyword(tsi: typeof ts, node: ts.Node): boolean {
  let fn: ts.Node = node;
  if (tsi.isPropertyDeclaration(node) && node.initializer) fn = node.initializer;
  const modifiers = tsi.canHaveModifiers(fn) ? tsi.getModifiers(fn) : undefined;
  return !!modifiers?.some((m) => m.kind === tsi.SyntaxKind.AsyncKeyword);
}

/** A type is thenable when it (or any member of a union) has a callable `then`. */
export function isThenable(tsi: typeof ts, checker: ts.TypeChecker, type: ts.Type): boolean {
  if (type.flags & (tsi.TypeFlags.Any | tsi.TypeFlags.Unknown)) return false;
  if (type.isUnion()) return type.types.some((t) => isThenable(tsi, checker, t));
  const then = checker.getPropertyOfType(type, 'then');
  if (!then) return false;
  return checker.getTypeOfSymbol(then).getCallSignatures().length > 0;
}
