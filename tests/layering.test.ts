/**
 * The runtime's rooms and what each may import (SPEC §1): folders name roles, and a room may
 * only reach the rooms below it. Type-only imports count: a type from the wrong room is a
 * dependency on it all the same.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/runtime/src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The runtime files each file imports, relative to src (`wire/batch.ts`). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) {
    const spec = match[1] as string;
    found.push(path.relative(src, path.resolve(path.dirname(file), `${spec}.ts`)));
  }
  return found;
}

const files = sourceFiles(src).map((file) => ({
  name: path.relative(src, file),
  imports: importsOf(file),
}));
const room = (name: string) => (name.includes('/') ? name.slice(0, name.indexOf('/')) : '.');

/** Files at the root of src that any room may use: they import nothing above the wire. */
const LEAVES = ['errors.ts', 'options.ts', 'types.ts'];

/** What each room may import, besides itself and the leaves. */
const ALLOWED: Record<string, (target: string) => boolean> = {
  wire: (t) => t === 'errors.ts',
  shared: (t) => room(t) === 'wire',
  decorators: (t) => room(t) === 'wire' || LEAVES.includes(t),
  caller: (t) => ['wire', 'shared'].includes(room(t)) || LEAVES.includes(t),
  host: (t) => ['wire', 'shared', 'decorators'].includes(room(t)) || LEAVES.includes(t),
  supervisor: (t) =>
    ['wire', 'shared', 'caller', 'decorators'].includes(room(t)) ||
    LEAVES.includes(t) ||
    // The thread pool queues calls in the same O(1) queue as the executor.
    t === 'host/call-queue.ts',
  pool: (t) => room(t) === 'caller' || LEAVES.includes(t),
  // Observation reads the call path (the Call record, the executor's watch), the stats memory the
  // supervisor hands out, and the actors it owns; nothing below imports it, but for hooks the
  // composition roots install.
  observe: (t) =>
    ['wire', 'caller', 'host', 'shared', 'supervisor'].includes(room(t)) || LEAVES.includes(t),
};

/** The executor and the per-call context: the wire, shared primitives and errors, nothing else. */
const CORE = [
  'host/executor.ts',
  'host/call-watch.ts',
  'host/call-context.ts',
  'host/call-queue.ts',
  'host/streams.ts',
  'host/drain.ts',
  'host/replica-fields.ts',
];

/** The composition roots: they wire every room together. */
const ROOTS = ['index.ts', 'transport.ts', 'prometheus.ts', 'host/entry.ts'];

describe('the runtime’s rooms', () => {
  test('every file sits in a known room', () => {
    const unknown = files
      .map((f) => f.name)
      .filter((name) => !ROOTS.includes(name) && !LEAVES.includes(name))
      .filter((name) => !(room(name) in ALLOWED));
    expect(unknown).toEqual([]);
  });

  test('each room imports only the rooms below it', () => {
    const violations: string[] = [];
    for (const { name, imports } of files) {
      if (ROOTS.includes(name)) continue;
      const from = room(name);
      for (const target of imports) {
        if (room(target) === from) continue;
        const ok = LEAVES.includes(name)
          ? room(target) === 'wire' || LEAVES.includes(target)
          : (ALLOWED[from]?.(target) ?? false);
        if (!ok) violations.push(`${name} imports ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  test('the executor and the call context import only the wire, shared primitives and errors', () => {
    const violations: string[] = [];
    for (const { name, imports } of files.filter((f) => CORE.includes(f.name))) {
      for (const target of imports) {
        const ok =
          CORE.includes(target) ||
          ['wire', 'shared'].includes(room(target)) ||
          target === 'errors.ts';
        if (!ok) violations.push(`${name} imports ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  test('the wire imports nothing above it', () => {
    const wire = files.filter((f) => room(f.name) === 'wire');
    expect(wire.length).toBeGreaterThan(5);
    const above = wire.flatMap((f) =>
      f.imports
        .filter((t) => room(t) !== 'wire' && t !== 'errors.ts')
        .map((t) => `${f.name} → ${t}`),
    );
    expect(above).toEqual([]);
  });

  test('only host/entry.ts wires the caller and supervisor sides into a worker', () => {
    const hostFiles = files.filter((f) => room(f.name) === 'host' && f.name !== 'host/entry.ts');
    const reaching = hostFiles.flatMap((f) =>
      f.imports
        .filter((t) => ['caller', 'supervisor'].includes(room(t)))
        .map((t) => `${f.name} → ${t}`),
    );
    expect(reaching).toEqual([]);
    const entry = files.find((f) => f.name === 'host/entry.ts');
    expect(entry?.imports.some((t) => room(t) === 'caller')).toBe(true);
  });

  test('no import cycle runs through the public types (options.ts ↔ types.ts)', () => {
    const options = files.find((f) => f.name === 'options.ts');
    expect(options?.imports).not.toContain('types.ts');
  });
});
