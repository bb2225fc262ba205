/**
 * The SQLite actors: `query(i)` runs query i of `QUERIES` and returns its rows. No top-level
 * effects: every actor thread imports this module.
 */
import { actor } from '@troupe/runtime';
import Database from 'better-sqlite3';
import { enter, enterAsync, type InFlightGauge, leave } from '../common/in-flight.js';
import { ConnectionPool } from './connection-pool.js';
import { QUERIES, type QueryResult } from './queries.js';

/** libuv's default thread pool size: more connections than this cannot run queries at once. */
export const ASYNC_CONNECTIONS = 4;

function runQuery(db: Database.Database, index: number): QueryResult {
  const startedAt = performance.now();
  const rows = db.prepare(QUERIES[index].sql).all();
  return { rows, ms: performance.now() - startedAt };
}

/** Ray's regular actor: one better-sqlite3 connection, one query at a time. */
@actor()
export class SyncSqliteActor {
  private readonly db: Database.Database;

  constructor(
    path: string,
    private readonly gauge: InFlightGauge,
  ) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
  }

  query(index: number): QueryResult {
    enter(this.gauge);
    try {
      return runQuery(this.db, index);
    } finally {
      leave(this.gauge);
    }
  }
}

/** Queries awaited on node-sqlite3, a genuinely asynchronous driver (libuv's thread pool). */
@actor({ maxConcurrency: 10 })
export class AsyncSqliteActor {
  private readonly pool: ConnectionPool;

  constructor(
    path: string,
    private readonly gauge: InFlightGauge,
  ) {
    this.pool = new ConnectionPool(path, ASYNC_CONNECTIONS);
  }

  async query(index: number): Promise<QueryResult> {
    await enterAsync(this.gauge);
    try {
      const startedAt = performance.now();
      const rows = await this.pool.all(QUERIES[index].sql);
      return { rows, ms: performance.now() - startedAt };
    } finally {
      leave(this.gauge);
    }
  }
}

/** The sync actor, unchanged, on 10 threads: each replica opens its own read-only connection. */
@actor({ maxConcurrency: 10 })
export class ThreadedSqliteActor extends SyncSqliteActor {}
