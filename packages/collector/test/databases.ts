import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createStorage } from '../src/storage/index.js';
import type { Dialect, Storage } from '../src/storage/types.js';

/** Every storage test runs on both dialects. PostgreSQL is never skipped: unreachable = failure. */
export const DIALECTS: Dialect[] = ['sqlite', 'postgres'];

export const PG_ADMIN_URL = process.env.HEED_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  dialect: Dialect;
  /** DATABASE_URL for a collector on this database (undefined: SQLite at sqlitePath). */
  databaseUrl: string | undefined;
  sqlitePath: string;
  storage: Storage;
  drop(): Promise<void>;
}

/** A fresh, migrated, empty database of the given dialect. */
export async function freshDatabase(dialect: Dialect): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'heed-db-'));
  const sqlitePath = join(dir, 'heed.db');
  let databaseUrl: string | undefined;
  let dbName: string | undefined;
  if (dialect === 'postgres') {
    dbName = `heed_t_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
    try {
      await admin.connect();
    } catch (err) {
      throw new Error(`PostgreSQL tests need a server at ${PG_ADMIN_URL}: ${(err as Error).message}`);
    }
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
    if (process.env.HEED_PG_MARKER) appendFileSync(process.env.HEED_PG_MARKER, `${dbName}\n`);
  }
  const storage = createStorage({ databaseUrl, sqlitePath });
  await storage.migrate();
  return {
    dialect,
    databaseUrl,
    sqlitePath,
    storage,
    async drop() {
      await storage.close().catch(() => {});
      if (dbName) {
        const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
        await admin.end();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
