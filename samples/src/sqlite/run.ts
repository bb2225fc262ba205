/** The SQLite sample: 10 queries over a million-row provider registry on the three kinds. */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { spawn } from '@troupe/runtime';
import { SerialBaseline } from '../common/baseline.js';
import { isMain } from '../common/cli.js';
import { digestOf } from '../common/digest.js';
import { type InFlightGauge, newGauge } from '../common/in-flight.js';
import { KINDS, type Kind } from '../common/kinds.js';
import { formatMs, type Measured, measure } from '../common/measure.js';
import { barrierFor, DEFAULT_DATA_DIR, type SampleOptions } from '../common/options.js';
import type { KindRun, SampleReport } from '../common/report.js';
import { runStandalone } from '../common/standalone.js';
import {
  ASYNC_CONNECTIONS,
  AsyncSqliteActor,
  SyncSqliteActor,
  ThreadedSqliteActor,
} from './actors.js';
import { ensureRegistry, type Registry, registryPath } from './generate.js';
import { QUERIES, type QueryResult } from './queries.js';

export const REGISTRY_ROWS = 1_000_000;
export const QUICK_REGISTRY_ROWS = 400_000;
const CONCURRENCY = 10;

export async function runSqlite(options: SampleOptions): Promise<SampleReport> {
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const rows = options.quick ? QUICK_REGISTRY_ROWS : REGISTRY_ROWS;
  if (!existsSync(registryPath(dataDir, rows))) {
    options.progress.note(`generating a ${rows.toLocaleString('en')}-row SQLite registry (once)…`);
  }
  const registry = ensureRegistry(dataDir, rows);
  const cores = availableParallelism();
  const runs: KindRun[] = [];
  const baseline = new SerialBaseline('sqlite', 'rows');
  for (const kind of KINDS) {
    const gauge = newGauge();
    const limit = kind === 'serial' ? 1 : CONCURRENCY;
    const measured = await queryAll(kind, registry.path, gauge, limit, options);
    const digest = digestOf(measured.results.map((r) => r.rows));
    baseline.check(kind, digest, measured.results);
    // Queries are CPU work: at best they share the cores, or the connections that can run at once.
    const parallel = Math.min(cores, kind === 'async' ? ASYNC_CONNECTIONS : limit);
    runs.push({
      kind,
      maxConcurrency: limit,
      calls: QUERIES.length,
      timeMs: measured.timeMs,
      creationMs: measured.creationMs,
      idealMs: Math.max(baseline.longestMs, baseline.workMs / parallel),
      peakInFlight: measured.peakInFlight,
      digest,
    });
  }
  return {
    sample: 'sqlite',
    title: `10 queries, ${registry.rows.toLocaleString('en')} rows`,
    runs,
    notes: notes(registry, cores, baseline.longestMs),
  };
}

function notes(registry: Registry, cores: number, longestMs: number): string[] {
  const made =
    registry.generatedMs > 0 ? `generated in ${formatMs(registry.generatedMs)}` : 'cached';
  return [
    `registry of ${registry.rows.toLocaleString('en')} providers (${made}: ${relative(process.cwd(), registry.path)}); rows identical across kinds`,
    `ideal = max(longest query ${formatMs(longestMs)}, serial query time / min(${cores} cores, parallel connections)); async: ${ASYNC_CONNECTIONS} node-sqlite3 connections on libuv's pool`,
  ];
}

function queryAll(
  kind: Kind,
  path: string,
  gauge: InFlightGauge,
  limit: number,
  options: SampleOptions,
): Promise<Measured<QueryResult>> {
  const plan = {
    label: `sqlite ${kind}`,
    calls: QUERIES.length,
    gauge,
    barrier: barrierFor(options, limit),
  };
  const args: [string, InFlightGauge] = [path, gauge];
  switch (kind) {
    case 'serial':
      return measure(
        { ...plan, spawn: () => spawn(SyncSqliteActor, { args }), call: (a, i) => a.query(i) },
        options.progress,
      );
    case 'async':
      return measure(
        { ...plan, spawn: () => spawn(AsyncSqliteActor, { args }), call: (a, i) => a.query(i) },
        options.progress,
      );
    case 'threaded':
      return measure(
        { ...plan, spawn: () => spawn(ThreadedSqliteActor, { args }), call: (a, i) => a.query(i) },
        options.progress,
      );
  }
}

if (isMain(import.meta.url)) await runStandalone('sqlite', runSqlite);
