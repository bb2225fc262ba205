import type { TransformContext } from '../context';
import { Code, type Finding } from '../diagnostics';
import { runtimeDecoratorCall } from '../discover/actors';
import { skipOuter } from '../discover/runtime-symbols';
import { ts } from '../typescript';

/**
 * TROUPE110: `spawn(X)` where X is a class of the program that no `@actor` decorates. The runtime
 * would throw when the call runs; the build can say so first. Classes from declaration files are
 * left alone: their decorators cannot be seen.
 */
export function checkSpawnTargets(ctx: TransformContext, sourceFile: ts.SourceFile): Finding[] {
  const { checker } = ctx;
  if (!checker || !sourceFile.text.includes('spawn')) return [];
  const findings: Finding[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      node.arguments[0] !== undefined &&
      ctx.runtime.resolve(node.expression) === 'spawn'
    ) {
      const target = skipOuter(node.arguments[0]);
      let symbol = checker.getSymbolAtLocation(target);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      const decl = symbol?.valueDeclaration;
      if (
        decl &&
        (ts.isClassDeclaration(decl) || ts.isClassExpression(decl)) &&
        !decl.getSourceFile().isDeclarationFile &&
        !runtimeDecoratorCall(ctx, decl, 'actor')
      ) {
        const name = decl.name?.text ?? target.getText();
        findings.push({
          code: Code.spawnNotActor,
          node: target,
          message:
            `spawn(${name}): class \`${name}\` is not an actor (no @actor decorates it), so this ` +
            'call throws when it runs.',
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return findings;
}
