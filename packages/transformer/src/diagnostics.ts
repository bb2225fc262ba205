import * as path from 'node:path';
import { ts } from './typescript';

/** Stable diagnostic codes. The number is also the `code` of the compiler diagnostic. */
export const Code = {
  internalError: 100,
  threadedMutation: 101,
  moduleState: 102,
  syncOnAsync: 103,
  unknownGroup: 104,
  unloadableClass: 105,
  notCloneable: 106,
  notExtractable: 107,
  reservedName: 108,
  dynamicConcurrency: 109,
  spawnNotActor: 110,
  unsupportedCompiler: 111,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

interface CodeInfo {
  severity: 'error' | 'warning';
  /** What to do about it, appended to every message with this code. */
  fix: string;
}

const codeInfo: Record<Code, CodeInfo> = {
  110: {
    severity: 'error',
    fix:
      'decorate the class with @actor() from @troupe/runtime and export it, or spawn the actor ' +
      'class you meant.',
  },
  111: {
    severity: 'error',
    fix:
      'build with `tsc` and then `troupe build` (any TypeScript), or install typescript@~6.0 for ' +
      'tspc.',
  },
  100: {
    severity: 'warning',
    fix: 'please report it with the file; this file was compiled without the Troupe analysis.',
  },
  101: {
    severity: 'error',
    fix:
      'keep the state in a shared primitive (SharedCounter, Mutex, sharedArray), write it only in ' +
      'the constructor, mark the field @perThread() if one copy per thread is intended, or mark ' +
      'the method @method({ threadSafe: true }).',
  },
  102: {
    severity: 'warning',
    fix:
      'move the state into the actor (as a shared primitive) or silence this with ' +
      '`// troupe-ignore TROUPE102: <reason>` if one copy per thread is intended.',
  },
  103: {
    severity: 'warning',
    fix:
      'make the method async, or give the actor maxConcurrency: 1 if calls may run one at a ' +
      'time.',
  },
  104: {
    severity: 'error',
    fix: 'declare the group in @actor({ concurrencyGroups: { <name>: <limit> } }) or fix its name.',
  },
  105: {
    severity: 'error',
    fix: 'declare the actor as a named class at the top level of a module: `export class Name {}`.',
  },
  106: {
    severity: 'warning',
    fix:
      'pass plain data (objects, arrays, primitives, Map, Set, Date, typed arrays) or an actor ' +
      'handle instead.',
  },
  107: {
    severity: 'error',
    fix:
      'keep what the actor needs in modules without top-level code (imports and declarations ' +
      "only), or create the state in the actor's constructor from its arguments.",
  },
  108: {
    severity: 'error',
    fix: 'rename the method: actor handles reserve `then` and `ready`.',
  },
  109: {
    severity: 'warning',
    fix:
      'use a number literal (or a const with a literal type), or declare the kind explicitly: ' +
      "@actor({ kind: 'threaded' }).",
  },
};

export function severityOf(code: Code): 'error' | 'warning' {
  return codeInfo[code].severity;
}

/** A finding of the analysis, before it becomes a compiler diagnostic. */
export interface Finding {
  code: Code;
  node: ts.Node;
  message: string;
}

/**
 * Silencing comments: `// troupe-ignore TROUPE101: why` on the line of the reported node or on
 * the line above it. Several codes may be listed: `// troupe-ignore TROUPE101, TROUPE106: why`.
 */
const ignorePattern = /troupe-ignore\s+((?:TROUPE\d{3}[\s,]*)+)/g;

function ignoredCodes(sourceFile: ts.SourceFile, line: number): Set<number> {
  const codes = new Set<number>();
  const lineStarts = sourceFile.getLineStarts();
  for (const l of [line - 1, line]) {
    if (l < 0 || l >= lineStarts.length) continue;
    const end = l + 1 < lineStarts.length ? lineStarts[l + 1] : sourceFile.text.length;
    const text = sourceFile.text.slice(lineStarts[l], end);
    for (const match of text.matchAll(ignorePattern)) {
      for (const code of match[1]?.match(/\d{3}/g) ?? []) codes.add(Number(code));
    }
  }
  return codes;
}

export function isIgnored(finding: Finding): boolean {
  const sourceFile = finding.node.getSourceFile();
  const { line } = sourceFile.getLineAndCharacterOfPosition(finding.node.getStart(sourceFile));
  return ignoredCodes(sourceFile, line).has(finding.code);
}

/**
 * Turns a finding into a compiler diagnostic: the message, then the fix. The code is the
 * diagnostic's number (the compiler prints it as `TS101`); the message does not repeat it.
 */
export function toDiagnostic(finding: Finding): ts.Diagnostic {
  const sourceFile = finding.node.getSourceFile();
  const start = finding.node.getStart(sourceFile);
  return {
    file: sourceFile,
    start,
    length: finding.node.getEnd() - start,
    ...messageOf(finding.code, finding.message),
  };
}

/** A diagnostic without a place (a setup problem). */
export function fileLessDiagnostic(code: Code, message: string): ts.Diagnostic {
  return { file: undefined, start: undefined, length: undefined, ...messageOf(code, message) };
}

function messageOf(code: Code, message: string) {
  const info = codeInfo[code];
  const category =
    info.severity === 'error' ? ts.DiagnosticCategory.Error : ts.DiagnosticCategory.Warning;
  return {
    category,
    code,
    source: 'troupe',
    messageText: {
      messageText: message,
      category: ts.DiagnosticCategory.Message,
      code,
      next: [{ messageText: `Fix: ${info.fix}`, category: ts.DiagnosticCategory.Message, code }],
    },
  };
}

/**
 * `src/app.ts:13:5 - error TROUPE101: <message>` and the fix on the next line: how Troupe prints
 * its own diagnostics (`troupe check`, the ts-jest adapter), with the code written once.
 */
export function formatDiagnostic(diagnostic: ts.Diagnostic, cwd = process.cwd()): string {
  const category = diagnostic.category === ts.DiagnosticCategory.Error ? 'error' : 'warning';
  const code = diagnostic.source === 'troupe' ? `TROUPE${diagnostic.code}` : `TS${diagnostic.code}`;
  const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
  let where = '';
  if (diagnostic.file && diagnostic.start !== undefined) {
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const file = path.relative(cwd, diagnostic.file.fileName) || diagnostic.file.fileName;
    where = `${file}:${line + 1}:${character + 1} - `;
  }
  return `${where}${category} ${code}: ${text}\n`;
}
