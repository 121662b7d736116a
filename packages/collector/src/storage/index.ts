import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Config } from '../config.js';
import { PostgresStorage } from './postgres/index.js';
import { SqliteStorage } from './sqlite/index.js';
import type { Storage } from './types.js';

export interface StorageConfig {
  /** postgres://… for PostgreSQL; otherwise a SQLite file path. */
  databaseUrl?: string | undefined;
  sqlitePath: string;
  onPoolError?: (err: Error) => void;
  /** TLS to PostgreSQL (DATABASE_SSL / DATABASE_CA_FILE). */
  databaseTls?: { mode: 'require' | 'verify-full'; caFile: string | undefined } | undefined;
  sqliteSynchronous?: 'NORMAL' | 'FULL' | undefined;
}

export function createStorage(cfg: StorageConfig): Storage {
  const url = cfg.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    return new PostgresStorage({
      url,
      ...(cfg.onPoolError ? { onPoolError: cfg.onPoolError } : {}),
      ...(cfg.databaseTls ? { ssl: pgSsl(cfg.databaseTls) } : {}),
    });
  }
  return new SqliteStorage({
    path: url ? url.replace(/^(sqlite|file):(\/\/)?/, '') : cfg.sqlitePath,
    ...(cfg.sqliteSynchronous ? { synchronous: cfg.sqliteSynchronous } : {}),
  });
}

/** The storage a loaded configuration names (every command opens it this way). */
export function storageFor(
  config: Pick<Config, 'databaseUrl' | 'sqlitePath' | 'databaseTls' | 'sqliteSynchronous'>,
  onPoolError?: (err: Error) => void,
): Storage {
  return createStorage({
    databaseUrl: config.databaseUrl,
    sqlitePath: config.sqlitePath,
    databaseTls: config.databaseTls,
    sqliteSynchronous: config.sqliteSynchronous,
    ...(onPoolError ? { onPoolError } : {}),
  });
}

/** `require`: encrypted; `verify-full`: encrypted and the server certificate checked against the CA. */
function pgSsl(t: NonNullable<StorageConfig['databaseTls']>): ConnectionOptions {
  if (t.mode === 'require') return { rejectUnauthorized: false };
  return { rejectUnauthorized: true, ...(t.caFile ? { ca: readFileSync(t.caFile, 'utf8') } : {}) };
}

export * from './types.js';
export { PostgresStorage, SqliteStorage };
