import sqlite3, { type Database } from 'sqlite3';

/**
 * A few read-only node-sqlite3 connections shared by an async actor's calls. node-sqlite3 runs
 * each query on libuv's thread pool, but one connection runs one query at a time (SQLite's own
 * mutex), so concurrency needs several; libuv's pool has 4 threads by default, so 4 is the most
 * that can run at once anyway.
 */
export class ConnectionPool {
  private readonly idle: Database[];
  private readonly waiting: ((db: Database) => void)[] = [];

  constructor(path: string, size: number) {
    this.idle = Array.from(
      { length: size },
      () => new sqlite3.Database(path, sqlite3.OPEN_READONLY),
    );
  }

  /** Runs `sql` on the first free connection and resolves with its rows. */
  async all(sql: string): Promise<unknown[]> {
    const db = await this.acquire();
    try {
      return await new Promise((resolve, reject) =>
        db.all(sql, (error: Error | null, rows: unknown[]) =>
          error ? reject(error) : resolve(rows),
        ),
      );
    } finally {
      this.release(db);
    }
  }

  private acquire(): Promise<Database> {
    const db = this.idle.pop();
    return db ? Promise.resolve(db) : new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(db: Database): void {
    const next = this.waiting.shift();
    if (next) next(db);
    else this.idle.push(db);
  }
}
