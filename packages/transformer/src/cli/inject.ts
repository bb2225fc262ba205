import type { AnalyzedActor } from '../analyze';
import type { ActorClass } from '../discover/actors';
import { type ModuleUrl, metaText } from '../emit/meta';
import { ts } from '../typescript';

/** Whether emitted JavaScript is an ES module: by extension, else by its import/export syntax. */
export function jsIsEsm(jsPath: string, text: string): boolean {
  if (jsPath.endsWith('.mjs')) return true;
  if (jsPath.endsWith('.cjs')) return false;
  const parsed = ts.createSourceFile(jsPath, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  return ts.isExternalModule(parsed) || /\bimport\.meta\b/.test(text);
}

/** Strips what compilers wrap a callee in: `(0, runtime_1.actor)`, parentheses. */
function calleeName(expression: ts.Expression): string | undefined {
  let expr = expression;
  for (;;) {
    if (ts.isParenthesizedExpression(expr)) expr = expr.expression;
    else if (ts.isBinaryExpression(expr) && expr.operatorToken.kind === ts.SyntaxKind.CommaToken)
      expr = expr.right;
    else break;
  }
  if (ts.isIdentifier(expr)) return expr.text;
  if (ts.isPropertyAccessExpression(expr)) return expr.name.text;
  return undefined;
}

/** The names an emitted `@actor` call may have: as written, and as the runtime exports it. */
function actorCalleeNames(discovered: readonly ActorClass[]): Set<string> {
  const names = new Set(['actor']);
  for (const { call } of discovered) {
    const name = calleeName(call.expression);
    if (name) names.add(name);
  }
  return names;
}

export type Injection = { text: string } | { error: string };

/**
 * Adds the compiled info to the `@actor(...)` calls of JavaScript another compiler wrote (tsc 7,
 * esbuild, swc). Compilers keep the classes, and so their decorator calls, in source order: the
 * k-th `actor(...)` call of the output is the k-th `@actor` of the source. A call that already has
 * a second argument (a file built before) gets it replaced, so building twice changes nothing.
 */
export function injectMeta(
  jsPath: string,
  text: string,
  discovered: readonly ActorClass[],
  actors: readonly AnalyzedActor[],
  moduleUrl: ModuleUrl,
): Injection {
  const parsed = ts.createSourceFile(jsPath, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const names = actorCalleeNames(discovered);
  const calls: ts.CallExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.arguments.length <= 2) {
      const name = calleeName(node.expression);
      if (name && names.has(name)) calls.push(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(parsed);
  if (calls.length !== discovered.length) {
    return {
      error:
        `found ${calls.length} \`actor(...)\` call(s) in ${jsPath} but the source declares ` +
        `${discovered.length} @actor class(es); the file may be stale or bundled: recompile it, ` +
        'then run troupe build again.',
    };
  }
  const edits: { start: number; end: number; text: string }[] = [];
  discovered.forEach((actor, k) => {
    const entry = actors.find((a) => a.actor === actor);
    const call = calls[k];
    if (!entry || !call) return;
    const meta = metaText(entry.info, moduleUrl);
    const args = call.arguments;
    const [first, second] = args;
    if (second) {
      edits.push({ start: second.getStart(parsed), end: second.end, text: meta });
    } else if (first) {
      edits.push({ start: first.end, end: first.end, text: `, ${meta}` });
    } else {
      edits.push({ start: args.pos, end: args.end, text: `void 0, ${meta}` });
    }
  });
  let out = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return { text: out };
}
