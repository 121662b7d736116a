import { PostgresStorage } from './postgres/index.js';
import { SqliteStorage } from './sqlite/index.js';
import type { Storage } from './types.js';

export interface StorageConfig {
  /** postgres://… for PostgreSQL; otherwise a SQLite file path. */
  databaseUrl?: string | undefined;
  sqlitePath: string;
  onPoolError?: (err: Error) => void;
}

export function createStorage(cfg: StorageConfig): Storage {
  const url = cfg.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    return new PostgresStorage({ url, ...(cfg.onPoolError ? { onPoolError: cfg.onPoolError } : {}) });
  }
  return new SqliteStorage({ path: url ? url.replace(/^(sqlite|file):(\/\/)?/, '') : cfg.sqlitePath });
}

export * from './types.js';
export { PostgresStorage, SqliteStorage };
