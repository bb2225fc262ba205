import * as path from 'node:path';
import { Code, type Finding } from '../diagnostics';
import type { ProgramState } from '../discover/extraction';
import { programCode } from '../discover/module-shape';
import type { LoadedModule } from './module-state';

/**
 * TROUPE107 where an actor reads state that the module's program code builds: a worker loads the
 * actor without running that code, and the bundle leaves the state out rather than run its setup
 * (a server, a connection) once more in every worker.
 */
export function programStateFindings(state: readonly ProgramState[]): Finding[] {
  return state.map(({ symbol, use, why }) => ({
    code: Code.notExtractable,
    node: use,
    message:
      `the actor reads \`${symbol.name}\`, which ${why}; a worker loads the actor without ` +
      'running that code, so it cannot have that value.',
  }));
}

/** TROUPE107 where a worker would load a module that runs program code at its top level. */
export function programCodeInImports(loaded: readonly LoadedModule[]): Finding[] {
  const findings: Finding[] = [];
  const reported = new Set<unknown>();
  for (const { module, via } of loaded) {
    const code = programCode(module);
    if (!code || reported.has(via)) continue;
    reported.add(via);
    const line = module.getLineAndCharacterOfPosition(code.getStart(module)).line + 1;
    findings.push({
      code: Code.notExtractable,
      node: via,
      message:
        `a worker loading this module's actors loads ${path.basename(module.fileName)}, whose ` +
        `top-level code (line ${line}) would run again in every worker.`,
    });
  }
  return findings;
}
