import type * as ts from 'typescript';
import { type MethodInfo, methodTable } from './methods';
import {
  type ActorOptionsInfo,
  dynamic,
  type Kind,
  type MethodOptionsInfo,
  readActorOptions,
  readMethodOptions,
} from './options';
import type { RuntimeSymbols } from './runtime-symbols';

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
  kind: Kind;
  /** maxConcurrency decided the kind without being a compile-time constant. */
  kindGuessed: boolean;
}

export interface AnalysisContext {
  tsi: typeof ts;
  /** Absent when ts-jest compiles files one by one: the analysis then reads syntax only. */
  program: ts.Program | undefined;
  checker: ts.TypeChecker | undefined;
  runtime: RuntimeSymbols;
}

export function decoratorsOf(tsi: typeof ts, node: ts.Node): readonly ts.Decorator[] {
  return (tsi.canHaveDecorators(node) && tsi.getDecorators(node)) || [];
}

/** The `name(...)` decorator call on a node whose callee is the given runtime export. */
export function runtimeDecoratorCall(
  ctx: AnalysisContext,
  node: ts.Node,
  name: 'actor' | 'method' | 'perThread',
): ts.CallExpression | undefined {
  for (const decorator of decoratorsOf(ctx.tsi, node)) {
    const expr = decorator.expression;
    if (ctx.tsi.isCallExpression(expr) && ctx.runtime.resolve(expr.expression) === name)
      return expr;
  }
  return undefined;
}

export function methodOptions(ctx: AnalysisContext, member: ts.Node): MethodOptionsInfo {
  const call = runtimeDecoratorCall(ctx, member, 'method');
  return readMethodOptions(ctx.tsi, ctx.checker, call?.arguments[0]);
}

/** Every class in the file decorated with the runtime's `actor(...)`, at any depth. */
export function findActors(ctx: AnalysisContext, sourceFile: ts.SourceFile): ActorClass[] {
  const { tsi } = ctx;
  const actors: ActorClass[] = [];
  const visit = (node: ts.Node): void => {
    if (tsi.isClassDeclaration(node) || tsi.isClassExpression(node)) {
      const call = runtimeDecoratorCall(ctx, node, 'actor');
      if (call) actors.push(describeActor(ctx, node, call));
    }
    tsi.forEachChild(node, visit);
  };
  visit(sourceFile);
  return actors;
}

function describeActor(
  ctx: AnalysisContext,
  node: ts.ClassLikeDeclaration,
  call: ts.CallExpression,
): ActorClass {
  const { tsi, checker } = ctx;
  const options = readActorOptions(tsi, checker, call.arguments[0]);
  const methods = methodTable(tsi, checker, node);
  for (const m of methods) {
    if (!m.async && m.own && methodOptions(ctx, m.declaration).async) m.async = true;
  }
  const placeable = tsi.isClassDeclaration(node) && !!node.name && tsi.isSourceFile(node.parent);
  let kind: Kind;
  let kindGuessed = false;
  if (options.kind) kind = options.kind;
  else if (methods.some((m) => m.async)) kind = 'async';
  else if (options.concurrencyGroups) kind = 'threaded';
  else if (options.maxConcurrency === dynamic) {
    kind = 'threaded';
    kindGuessed = true;
  } else kind = (options.maxConcurrency ?? 1) > 1 ? 'threaded' : 'serial';
  return {
    node,
    call,
    name: node.name?.text,
    placeable,
    exportName: placeable ? exportNameOf(ctx, node as ts.ClassDeclaration) : undefined,
    options,
    methods,
    kind,
    kindGuessed,
  };
}

function exportNameOf(ctx: AnalysisContext, node: ts.ClassDeclaration): string | undefined {
  const { tsi } = ctx;
  const modifiers = tsi.getModifiers(node) ?? [];
  if (modifiers.some((m) => m.kind === tsi.SyntaxKind.ExportKeyword)) {
    return modifiers.some((m) => m.kind === tsi.SyntaxKind.DefaultKeyword)
      ? 'default'
      : node.name?.text;
  }
  const local = node.name?.text;
  for (const statement of node.getSourceFile().statements) {
    if (tsi.isExportAssignment(statement) && !statement.isExportEquals) {
      if (tsi.isIdentifier(statement.expression) && statement.expression.text === local) {
        return 'default';
      }
    }
    if (!tsi.isExportDeclaration(statement) || statement.moduleSpecifier || statement.isTypeOnly) {
      continue;
    }
    const clause = statement.exportClause;
    if (!clause || !tsi.isNamedExports(clause)) continue;
    for (const element of clause.elements) {
      if ((element.propertyName ?? element.name).getText() === local) return element.name.getText();
    }
  }
  return undefined;
}
