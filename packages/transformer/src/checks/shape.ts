import type { TransformContext } from '../context';
import { Code, type Finding } from '../diagnostics';
import { type ActorClass, methodOptions } from '../discover/actors';
import { dynamic } from '../discover/options';
import type { ts } from '../typescript';

const reservedNames = new Set(['then', 'ready']);

/** The class-level checks: placement (105), reserved names (108), groups (104), kinds (103, 109). */
export function checkActorShape(ctx: TransformContext, actor: ActorClass): Finding[] {
  const findings: Finding[] = [];
  const name = actor.name ?? '(anonymous)';
  const at = (method: { own: boolean; declaration: ts.Declaration }): ts.Node =>
    method.own
      ? ((method.declaration as ts.MethodDeclaration).name ?? method.declaration)
      : classAnchor(actor);
  if (!actor.placeable) {
    findings.push({
      code: Code.unloadableClass,
      node: classAnchor(actor),
      message: !actor.name
        ? 'an anonymous actor class cannot be loaded in a worker: a worker finds the class by name.'
        : `actor \`${name}\` is declared inside a function or block, so no module exports it and a ` +
          'worker cannot load it.',
    });
  }
  for (const method of actor.methods) {
    if (reservedNames.has(method.name)) {
      findings.push({
        code: Code.reservedName,
        node: at(method),
        message: `actor \`${name}\` has a method named \`${method.name}\`, which actor handles reserve.`,
      });
    }
  }
  const groups = actor.options.concurrencyGroups;
  for (const member of actor.node.members) {
    const { concurrencyGroup, concurrencyGroupNode } = methodOptions(ctx, member);
    if (concurrencyGroup === undefined || groups === dynamic) continue;
    if (groups?.includes(concurrencyGroup)) continue;
    const declared = groups?.length
      ? `it declares ${groups.map((g) => `'${g}'`).join(', ')}`
      : 'it declares none';
    findings.push({
      code: Code.unknownGroup,
      node: concurrencyGroupNode ?? member,
      message:
        `method \`${member.name?.getText()}\` of actor \`${name}\` names the concurrency group ` +
        `'${concurrencyGroup}', which the actor does not declare (${declared}).`,
    });
  }
  const max = actor.options.maxConcurrency;
  if (actor.kind === 'async' && (max === undefined || max === dynamic || max > 1)) {
    const limit =
      max === undefined ? 'the default maxConcurrency of 1000' : `maxConcurrency ${max}`;
    for (const method of actor.methods) {
      if (method.async) continue;
      findings.push({
        code: Code.syncOnAsync,
        node: at(method),
        message:
          `method \`${method.name}\` of async actor \`${name}\` (${limit}) is synchronous: it runs ` +
          'on the event loop and blocks every other call while it runs.',
      });
    }
  }
  if (actor.kindGuessed) {
    findings.push({
      code: Code.dynamicConcurrency,
      node: actor.options.maxConcurrencyNode ?? actor.call,
      message:
        `maxConcurrency of actor \`${name}\` is not a compile-time constant; it is compiled as a ` +
        'threaded actor (its methods are checked for thread safety).',
    });
  }
  return findings;
}

function classAnchor(actor: ActorClass): ts.Node {
  return actor.node.name ?? actor.call;
}
