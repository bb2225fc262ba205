import type { TransformContext } from '../context';
import { Code, type Finding } from '../diagnostics';
import type { ActorClass } from '../discover/actors';
import { TYPED_ARRAYS } from '../discover/typed-arrays';
import { ts } from '../typescript';

/** Built-ins the structured clone algorithm copies faithfully. */
const cloneableBuiltins = new Set([
  'Date',
  'RegExp',
  'Map',
  'Set',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Error',
  'Blob',
  'File',
  ...TYPED_ARRAYS,
  'Buffer',
  'Promise',
]);

/**
 * TROUPE106: a constructor parameter, method parameter or result whose type cannot be
 * structured-cloned (functions, symbols) or loses its methods on the way (class instances).
 */
export function checkCloneable(ctx: TransformContext, actor: ActorClass): Finding[] {
  const { checker } = ctx;
  if (!checker) return [];
  const findings: Finding[] = [];
  const report = (node: ts.Node, what: string, problem: string) =>
    findings.push({
      code: Code.notCloneable,
      node,
      message: `${what} of actor \`${actor.name ?? '(anonymous)'}\` is ${problem}.`,
    });
  for (const member of actor.node.members) {
    if (ts.isConstructorDeclaration(member)) {
      for (const param of member.parameters) {
        const problem = cloneProblem(ctx, checker.getTypeAtLocation(param), 0, new Set());
        if (problem) report(param, `constructor parameter \`${param.name.getText()}\``, problem);
      }
    }
  }
  for (const method of actor.methods) {
    if (!method.own) continue;
    const decl = method.declaration as ts.MethodDeclaration | ts.PropertyDeclaration;
    const fn =
      ts.isPropertyDeclaration(decl) && decl.initializer
        ? (decl.initializer as ts.ArrowFunction)
        : (decl as ts.MethodDeclaration);
    for (const param of fn.parameters ?? []) {
      const problem = cloneProblem(ctx, checker.getTypeAtLocation(param), 0, new Set());
      if (problem) {
        report(
          param,
          `parameter \`${param.name.getText()}\` of method \`${method.name}\``,
          problem,
        );
      }
    }
    const signature = checker.getSignatureFromDeclaration(fn);
    if (!signature) continue;
    const returned = signature.getReturnType();
    // A stream's values travel one by one; the generator object itself never does.
    const yielded = streamedType(checker, returned, fn.asteriskToken !== undefined);
    const result = yielded ?? checker.getAwaitedType(returned) ?? returned;
    const problem = cloneProblem(ctx, result, 0, new Set());
    const what = yielded ? 'each value yielded by method' : 'the result of method';
    if (problem) report(fn.type ?? decl.name, `${what} \`${method.name}\``, problem);
  }
  return findings;
}

/**
 * The yielded type of a generator method, sync or async (the runtime streams both), or of an
 * async iterable result; else undefined.
 */
function streamedType(
  checker: ts.TypeChecker,
  type: ts.Type,
  generator: boolean,
): ts.Type | undefined {
  const name = type.getSymbol()?.name;
  const iterable = /^(Async)?(Generator|Iterable|IterableIterator|Iterator)$/;
  if (
    !name ||
    !(generator ? iterable : /^Async(Generator|Iterable|IterableIterator)$/).test(name)
  ) {
    return undefined;
  }
  return checker.getTypeArguments(type as ts.TypeReference)[0];
}

function cloneProblem(
  ctx: TransformContext,
  type: ts.Type,
  depth: number,
  seen: Set<ts.Type>,
): string | undefined {
  const checker = ctx.checker as ts.TypeChecker;
  if (seen.has(type) || depth > 3) return undefined;
  seen.add(type);
  const F = ts.TypeFlags;
  if (type.flags & F.ESSymbolLike) return 'a symbol, which cannot be cloned';
  // Handles (ActorHandle, an intersection) and shared primitives are encoded by the runtime.
  const named = type.aliasSymbol ?? type.getSymbol();
  if (named && ctx.runtime.fromSymbol(named)) return undefined;
  if (!(type.flags & F.Object) && !type.isUnionOrIntersection()) return undefined;
  if (type.isUnionOrIntersection()) {
    for (const t of type.types) {
      const problem = cloneProblem(ctx, t, depth, seen);
      if (problem) return problem;
    }
    return undefined;
  }
  if (type.getCallSignatures().length || type.getConstructSignatures().length) {
    return 'a function, which cannot be cloned';
  }
  if (checker.isArrayType(type) || checker.isTupleType(type)) {
    for (const t of checker.getTypeArguments(type as ts.TypeReference)) {
      const problem = cloneProblem(ctx, t, depth + 1, seen);
      if (problem) return problem;
    }
    return undefined;
  }
  const name = type.getSymbol()?.name;
  if (name && cloneableBuiltins.has(name)) return undefined;
  const classSymbol = type.getSymbol();
  if (classSymbol && classSymbol.flags & ts.SymbolFlags.Class) {
    const decl = classSymbol.declarations?.[0];
    const isLib = decl && ctx.program?.isSourceFileDefaultLibrary(decl.getSourceFile());
    if (!isLib) {
      return `an instance of class \`${classSymbol.name}\`, which arrives as a plain object without its methods`;
    }
  }
  for (const property of type.getProperties()) {
    const decl = property.valueDeclaration ?? property.declarations?.[0];
    if (decl && (ts.isMethodSignature(decl) || ts.isMethodDeclaration(decl))) {
      return `an object with the method \`${property.name}\`, which cannot be cloned`;
    }
    const problem = cloneProblem(ctx, checker.getTypeOfSymbol(property), depth + 1, seen);
    if (problem) return problem;
  }
  return undefined;
}
