import { COMPILED_INFO_VERSION, type CompiledActorInfo } from '@troupe/contract';
import { ts } from '../typescript';

/** The compiled info of an actor, less the two fields the emitter writes itself. */
export type ActorMeta = Omit<CompiledActorInfo, 'module' | 'version'>;

/** Where the compiled module lives, as an expression evaluated in the emitted file. */
export type ModuleUrl =
  | { kind: 'esm' }
  | { kind: 'cjs' }
  /** A fixed URL, for in-memory output (ts-jest) whose module URL is not the compiled file's. */
  | { kind: 'fixed'; url: string }
  /** A worker bundle names the module beside it: `file` is that module's file name. */
  | { kind: 'sibling'; esm: boolean; file: string };

/**
 * The module URL as an expression. `factory` is the compiler's own when the node goes into the
 * user's emit (the ts-patch plugin), and ours when the node is printed to text.
 */
export function moduleUrlExpression(factory: ts.NodeFactory, where: ModuleUrl): ts.Expression {
  const str = (s: string) => factory.createStringLiteral(s, true);
  const importMetaUrl = () =>
    factory.createPropertyAccessExpression(
      factory.createMetaProperty(ts.SyntaxKind.ImportKeyword, factory.createIdentifier('meta')),
      'url',
    );
  const requireCall = (module: string, member: string, args: ts.Expression[]) =>
    factory.createCallExpression(
      factory.createPropertyAccessExpression(
        factory.createCallExpression(factory.createIdentifier('require'), undefined, [str(module)]),
        member,
      ),
      undefined,
      args,
    );
  switch (where.kind) {
    case 'fixed':
      return str(where.url);
    case 'esm':
      return importMetaUrl();
    case 'cjs':
      // require('url').pathToFileURL(__filename).href
      return factory.createPropertyAccessExpression(
        requireCall('url', 'pathToFileURL', [factory.createIdentifier('__filename')]),
        'href',
      );
    case 'sibling': {
      if (where.esm) {
        // new URL('./app.js', import.meta.url).href
        return factory.createPropertyAccessExpression(
          factory.createNewExpression(factory.createIdentifier('URL'), undefined, [
            str(`./${where.file}`),
            importMetaUrl(),
          ]),
          'href',
        );
      }
      // require('url').pathToFileURL(require('path').join(__dirname, 'app.js')).href
      const joined = requireCall('path', 'join', [
        factory.createIdentifier('__dirname'),
        str(where.file),
      ]);
      return factory.createPropertyAccessExpression(
        requireCall('url', 'pathToFileURL', [joined]),
        'href',
      );
    }
  }
}

/** `@actor`'s second argument: the one builder of the compiled info, for AST and text alike. */
export function metaExpression(
  factory: ts.NodeFactory,
  info: ActorMeta,
  where: ModuleUrl,
): ts.ObjectLiteralExpression {
  const str = (s: string) => factory.createStringLiteral(s, true);
  const properties = [
    factory.createPropertyAssignment(
      'version',
      factory.createNumericLiteral(COMPILED_INFO_VERSION),
    ),
    factory.createPropertyAssignment('module', moduleUrlExpression(factory, where)),
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

const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed, removeComments: true });
const scratch = ts.createSourceFile('meta.ts', '', ts.ScriptTarget.Latest);

/** The same object as source text, printed from {@link metaExpression}. */
export function metaText(info: ActorMeta, where: ModuleUrl): string {
  return printer.printNode(
    ts.EmitHint.Expression,
    metaExpression(ts.factory, info, where),
    scratch,
  );
}
