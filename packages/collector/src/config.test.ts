import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { SqliteStorage, storageFor } from './storage/index.js';

const dir = mkdtempSync(join(tmpdir(), 'heed-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRETS = { JWT_SECRET: 'x'.repeat(40), ENCRYPTION_KEY: 'ab'.repeat(32) };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ HEED_DATA_DIR: dir, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('names every bad variable at once, with the reason', () => {
    const found = problems({
      PORT: '99999',
      DATABASE_URL: 'mysql://db/heed',
      LOG_LEVEL: 'loud',
      JWT_SECRET: 'short',
      ENCRYPTION_KEY: 'not-hex',
      REDIS_URL: 'http://cache',
    });
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'JWT_SECRET', 'ENCRYPTION_KEY', 'REDIS_URL']) {
      expect(found.some((p) => p.startsWith(`${name}:`))).toBe(true);
    }
    expect(found.find((p) => p.startsWith('DATABASE_URL'))).toMatch(/postgres/);
  });

  it('defaults to SQLite under the data directory, PostgreSQL for postgres:// URLs', () => {
    const embedded = loadConfig({ HEED_DATA_DIR: dir, ...SECRETS });
    expect(embedded.databaseUrl).toBeUndefined();
    expect(embedded.sqlitePath).toBe(join(dir, 'heed.db'));
    expect(embedded.port).toBe(3000);
    const pg = loadConfig({ HEED_DATA_DIR: dir, DATABASE_URL: 'postgres://u@h:5432/db', ...SECRETS });
    expect(pg.databaseUrl).toBe('postgres://u@h:5432/db');
  });

  it('generates development secrets once, private to the owner, and refuses that in production', () => {
    const a = loadConfig({ HEED_DATA_DIR: dir });
    const b = loadConfig({ HEED_DATA_DIR: dir });
    expect(a.generatedSecrets).toBe(true);
    expect(a.jwtSecret).toBe(b.jwtSecret);
    expect(a.jwtSecret.length).toBeGreaterThanOrEqual(32);
    const file = join(dir, 'dev-secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain(a.encryptionKey);
    const prod = problems({ NODE_ENV: 'production' });
    expect(prod).toEqual(expect.arrayContaining([expect.stringMatching(/^JWT_SECRET: is required/)]));
  });

  it('requires a signing secret with an alert webhook', () => {
    expect(problems({ ...SECRETS, ALERT_WEBHOOK_URL: 'https://hooks.example.com/x' })).toEqual([
      expect.stringMatching(/^ALERT_WEBHOOK_SECRET/),
    ]);
  });

  it('opens SQLite with the durability asked for', async () => {
    const full = loadConfig({ HEED_DATA_DIR: dir, SQLITE_SYNCHRONOUS: 'FULL', ...SECRETS });
    const storage = storageFor(full);
    try {
      expect(storage).toBeInstanceOf(SqliteStorage);
      expect((storage as SqliteStorage).sqlite.pragma('synchronous', { simple: true })).toBe(2); // FULL
    } finally {
      await storage.close();
    }
    const normal = storageFor(loadConfig({ HEED_DATA_DIR: dir, ...SECRETS }));
    expect((normal as SqliteStorage).sqlite.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    await normal.close();
    expect(problems({ ...SECRETS, SQLITE_SYNCHRONOUS: 'OFF' })[0]).toMatch(/^SQLITE_SYNCHRONOUS/);
  });
});
