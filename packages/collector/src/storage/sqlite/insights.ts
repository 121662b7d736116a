import type Database from 'better-sqlite3';
import { type Run, SqlCustomers, SqlInsights } from '../insights-store.js';

function runner(db: Database.Database): Run {
  const cache = new Map<string, Database.Statement>();
  return async (text, params) => {
    let stmt = cache.get(text);
    if (!stmt) {
      stmt = db.prepare(text);
      if (cache.size > 200) cache.clear();
      cache.set(text, stmt);
    }
    return stmt.all(params) as Record<string, unknown>[];
  };
}

export const sqliteInsights = (db: Database.Database) => new SqlInsights('sqlite', runner(db));
export const sqliteCustomers = (db: Database.Database) => new SqlCustomers('sqlite', runner(db));
