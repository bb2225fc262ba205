import type { TransformContext } from '../context';
import type { Finding } from '../diagnostics';
import type { ActorClass } from '../discover/actors';
import type { Extraction } from '../discover/extraction';
import type { ts } from '../typescript';
import { checkCloneable } from './cloneable';
import { programCodeInImports, programStateFindings } from './extraction';
import { loadedModules, moduleStateFindings } from './module-state';
import { checkActorShape } from './shape';
import { checkSpawnTargets } from './spawn';
import { checkThreadedMutations } from './thread-safety';

/** A check of one actor class. Each returns its findings; none reports or throws. */
export type ActorCheck = (ctx: TransformContext, actor: ActorClass) => Finding[];

/** Every per-actor check: shape (103-105, 108, 109), thread safety (101), cloneability (106). */
export const actorChecks: readonly ActorCheck[] = [
  checkActorShape,
  checkThreadedMutations,
  checkCloneable,
];

/** What the module-level checks read: the actors a worker can load, and what it would load. */
export interface ModuleFacts {
  sourceFile: ts.SourceFile;
  placeable: readonly ActorClass[];
  /** The statements a worker runs: the module's own, or its bundle's. */
  loadedStatements: readonly ts.Statement[];
  extraction: Extraction | undefined;
}

/** The module-level checks: program code a worker would meet (107), per-thread state (102). */
export function moduleChecks(ctx: TransformContext, facts: ModuleFacts): Finding[] {
  const { program, checker } = ctx;
  const findings: Finding[] = [];
  if (facts.extraction) findings.push(...programStateFindings(facts.extraction.programState));
  if (!checker || !program) return findings;
  const withProgram = { ...ctx, checker, program };
  const loaded = loadedModules(withProgram, facts.loadedStatements, facts.sourceFile);
  findings.push(...programCodeInImports(loaded));
  const threaded = facts.placeable.find((a) => a.kind === 'threaded');
  if (threaded) {
    // TROUPE102 over what the threads load: the module (or its bundle) and its imports.
    const name = threaded.name ?? '(anonymous)';
    findings.push(
      ...moduleStateFindings(withProgram, facts.sourceFile, name, facts.loadedStatements),
    );
    for (const { module } of loaded)
      findings.push(...moduleStateFindings(withProgram, module, name));
  }
  return findings;
}

/** Checks of a whole file, actors or not: what it spawns (110). */
export function fileChecks(ctx: TransformContext, sourceFile: ts.SourceFile): Finding[] {
  return checkSpawnTargets(ctx, sourceFile);
}
