import type * as ts from 'typescript';
import type { Kind } from '../analyze/options';

/**
 * What the transformer tells the runtime about an actor class: the second argument it adds to
 * `@actor(options, compiled)`. Mirrors the runtime's `CompiledActorInfo`.
 */
export interface CompiledActorInfo {
  exportName: string;
  kind: Kind;
  /** Every public method: name and whether it is async. */
  methods: [string, boolean][];
  /** URL of the worker bundle, relative to `module` or absolute. */
  bundle?: string;
}

/** Where the compiled module lives, as an expression evaluated in that module. */
export type ModuleUrl =
  | { kind: 'esm' }
  | { kind: 'cjs' }
  /** A fixed URL, for in-memory output (ts-jest) whose module URL is not the compiled file's. */
  | { kind: 'fixed'; url: string };

export function moduleUrlExpression(
  factory: ts.NodeFactory,
  tsi: typeof ts,
  where: ModuleUrl,
): ts.Expression {
  if (where.kind === 'fixed') return factory.createStringLiteral(where.url, true);
  if (where.kind === 'esm') {
    return factory.createPropertyAccessExpression(
      factory.createMetaProperty(tsi.SyntaxKind.ImportKeyword, factory.createIdentifier('meta')),
      'url',
    );
  }
  // require('url').pathToFileURL(__filename).href
  const url = factory.createCallExpression(factory.createIdentifier('require'), undefined, [
    factory.createStringLiteral('url', true),
  ]);
  const call = factory.createCallExpression(
    factory.createPropertyAccessExpression(url, 'pathToFileURL'),
    undefined,
    [factory.createIdentifier('__filename')],
  );
  return factory.createPropertyAccessExpression(call, 'href');
}

export function metaExpression(
  factory: ts.NodeFactory,
  info: CompiledActorInfo,
  moduleUrl: ts.Expression,
): ts.ObjectLiteralExpression {
  const str = (s: string) => factory.createStringLiteral(s, true);
  const properties = [
    factory.createPropertyAssignment('module', moduleUrl),
    factory.createPropertyAssignment('exportName', str(info.exportName)),
    factory.createPropertyAssignment('kind', str(info.kind)),
    factory.createPropertyAssignment(
      'methods',
      factory.createArrayLiteralExpression(
        info.methods.map(([name, async]) =>
          factory.createArrayLiteralExpression([
            str(name),
            async ? factory.createTrue() : factory.createFalse(),
          ]),
        ),
      ),
    ),
  ];
  if (info.bundle) properties.push(factory.createPropertyAssignment('bundle', str(info.bundle)));
  return factory.createObjectLiteralExpression(properties, false);
}

/** The same object as source text, for a worker bundle, given its `module` expression's text. */
export function metaText(info: CompiledActorInfo, moduleUrlText: string): string {
  const methods = info.methods.map(([name, async]) => `[${quote(name)}, ${async}]`).join(', ');
  const bundle = info.bundle ? `, bundle: ${quote(info.bundle)}` : '';
  return (
    `{ module: ${moduleUrlText}, exportName: ${quote(info.exportName)}, ` +
    `kind: ${quote(info.kind)}, methods: [${methods}]${bundle} }`
  );
}

/** A single-quoted string literal, as the printer writes the main module's. */
export function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
