import Database from 'better-sqlite3';
import { QUERIES } from './queries.js';

/**
 * Runs every query on a plain connection in the calling thread, with no actor involved: the
 * reference the actors' rows are checked against. Also returns the registry's row count.
 */
export function queryDirectly(path: string): { count: number; rows: unknown[][] } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const { n } = db.prepare('SELECT COUNT(*) AS n FROM providers').get() as { n: number };
    return { count: n, rows: QUERIES.map((q) => db.prepare(q.sql).all()) };
  } finally {
    db.close();
  }
}
