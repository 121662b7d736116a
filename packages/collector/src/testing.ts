import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config.js';
import { generateApiKey } from './keys.js';
import { createLogger } from './logger.js';
import { type RunningServer, startServer } from './serve.js';
import { storageFor } from './storage/index.js';
import type { Storage } from './storage/types.js';

/** A new organization with one write key, for tests: its id and the key's secret. */
export async function createOrgWithWriteKey(
  storage: Storage,
  name = 'Test',
): Promise<{ organizationId: string; writeKey: string }> {
  const organizationId = await storage.createOrganization(name, `${name.toLowerCase()}-${Math.random()}`);
  const key = generateApiKey('write');
  await storage.createApiKey({
    organizationId,
    kind: 'write',
    name: 'w',
    keyHash: key.hash,
    keyPrefix: key.prefix,
  });
  return { organizationId, writeKey: key.key };
}

export interface TestCollector extends RunningServer {
  writeKey: string;
  organizationId: string;
}

/**
 * Starts a real collector on a free port for integration tests: a fresh SQLite file (or the given
 * PostgreSQL database), one organization and a write key.
 */
export async function startCollector(
  opts: { databaseUrl?: string; port?: number; env?: Record<string, string> } = {},
): Promise<TestCollector> {
  const dir = mkdtempSync(join(tmpdir(), 'heed-test-'));
  const config = loadConfig({
    HEED_DATA_DIR: dir,
    PORT: String(opts.port ?? 0),
    LOG_LEVEL: 'silent',
    JWT_SECRET: 'test-secret-test-secret-test-secret-0000',
    ENCRYPTION_KEY: '0'.repeat(64),
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    ...opts.env,
  });
  const storage = storageFor(config);
  const server = await startServer(config, { logger: createLogger('silent'), storage });
  const { organizationId, writeKey } = await createOrgWithWriteKey(storage);
  return {
    ...server,
    writeKey,
    organizationId,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
