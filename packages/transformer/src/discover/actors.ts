import { type ActorKind, decideKind } from '@troupe/contract';
import type { TransformContext } from '../context';
import { ts } from '../typescript';
import { type MethodInfo, methodTable } from './methods';
import {
  type ActorOptionsInfo,
  dynamic,
  type MethodOptionsInfo,
  readActorOptions,
  readMethodOptions,
} from './options';

/** An `@actor(...)` class found in a source file, with everything the emit needs. */
export interface ActorClass {
  node: ts.ClassLikeDeclaration;
  /** The `actor(...)` call of the decorator; the emit adds the compiled info to it. */
  call: ts.CallExpression;
  name: string | undefined;
  /** A named class declared at the top level of its module: it can be loaded in a worker. */
  placeable: boolean;
  /** The name the module exports it under, if it does. */
  exportName: string | undefined;
  options: ActorOptionsInfo;
  methods: MethodInfo[];
  kind: ActorKind;
  /** maxConcurrency decided the kind without being a compile-time constant. */
  kindGuessed: boolean;
}

export function decoratorsOf(node: ts.Node): readonly ts.Decorator[] {
  return (ts.canHaveDecorators(node) && ts.getDecorators(node)) || [];
}

/** The `name(...)` decorator call on a node whose callee is the given runtime export. */
export function runtimeDecoratorCall(
  ctx: TransformContext,
  node: ts.Node,
  name: 'actor' | 'method' | 'perThread',
): ts.CallExpression | undefined {
  for (const decorator of decoratorsOf(node)) {
    const expr = decorator.expression;
    if (ts.isCallExpression(expr) && ctx.runtime.resolve(expr.expression) === name) return expr;
  }
  return undefined;
}

export function methodOptions(ctx: TransformContext, member: ts.Node): MethodOptionsInfo {
  const call = runtimeDecoratorCall(ctx, member, 'method');
  return readMethodOptions(ctx, call?.arguments[0]);
}

/** Every class in the file decorated with the runtime's `actor(...)`, at any depth. */
export function findActors(ctx: TransformContext, sourceFile: ts.SourceFile): ActorClass[] {
  const actors: ActorClass[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
      const call = runtimeDecoratorCall(ctx, node, 'actor');
      if (call) actors.push(describeActor(ctx, node, call));
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return actors;
}

function describeActor(
  ctx: TransformContext,
  node: ts.ClassLikeDeclaration,
  call: ts.CallExpression,
): ActorClass {
  const options = readActorOptions(ctx, call.arguments[0]);
  const methods = methodTable(ctx, node);
  for (const m of methods) {
    if (!m.async && m.own && methodOptions(ctx, m.declaration).async) m.async = true;
  }
  const placeable = ts.isClassDeclaration(node) && !!node.name && ts.isSourceFile(node.parent);
  const max = options.maxConcurrency;
  const kind = decideKind({
    declared: options.kind,
    hasAsyncMethod: methods.some((m) => m.async),
    maxConcurrency: max === dynamic ? 'unknown' : max,
    // Groups the build cannot read count as declared: the runtime may well see some.
    hasConcurrencyGroups:
      options.concurrencyGroups === dynamic || (options.concurrencyGroups?.length ?? 0) > 0,
  });
  // maxConcurrency decided the kind without being a compile-time constant.
  const kindGuessed =
    kind === 'threaded' &&
    max === dynamic &&
    !options.kind &&
    !options.concurrencyGroups &&
    !methods.some((m) => m.async);
  return {
    node,
    call,
    name: node.name?.text,
    placeable,
    exportName: placeable ? exportNameOf(node as ts.ClassDeclaration) : undefined,
    options,
    methods,
    kind,
    kindGuessed,
  };
}

function exportNameOf(node: ts.ClassDeclaration): string | undefined {
  const modifiers = ts.getModifiers(node) ?? [];
  if (modifiers.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
    return modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)
      ? 'default'
      : node.name?.text;
  }
  const local = node.name?.text;
  for (const statement of node.getSourceFile().statements) {
    if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
      if (ts.isIdentifier(statement.expression) && statement.expression.text === local) {
        return 'default';
      }
    }
    if (!ts.isExportDeclaration(statement) || statement.moduleSpecifier || statement.isTypeOnly) {
      continue;
    }
    const clause = statement.exportClause;
    if (!clause || !ts.isNamedExports(clause)) continue;
    for (const element of clause.elements) {
      if ((element.propertyName ?? element.name).getText() === local) return element.name.getText();
    }
  }
  return undefined;
}
