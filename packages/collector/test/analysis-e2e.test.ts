import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { type RunningServer, startServer } from '../src/serve.js';
import { createStorage } from '../src/storage/index.js';
import type { Storage } from '../src/storage/types.js';
import { createOrgWithWriteKey } from '../src/testing.js';
import { event } from './app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from './databases.js';

const CLI = join(import.meta.dirname, '../dist/cli.js');

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function serve(db: TestDatabase, analysis: 'on' | 'off') {
  const dir = mkdtempSync(join(tmpdir(), 'heed-an-'));
  const config = loadConfig({
    PORT: '0',
    HEED_DATA_DIR: dir,
    LOG_LEVEL: 'silent',
    ANALYSIS: analysis,
    ML_THREADS: '1',
    DATABASE_URL: db.databaseUrl ?? db.sqlitePath,
  });
  const storage = createStorage({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath });
  const server = await startServer(config, { storage, logger: createLogger('silent') });
  const { organizationId, writeKey } = await createOrgWithWriteKey(storage, 'E2E');
  return { server, storage, organizationId, writeKey, dir };
}

async function post(server: RunningServer, writeKey: string, batch: object[]) {
  const res = await fetch(`${server.url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batch }),
  });
  expect(res.status).toBe(200);
}

async function scored(storage: Storage, org: string, externalId: string) {
  const c = await storage.getCustomerByExternalId(org, externalId);
  if (!c) return undefined;
  const [i] = await storage.listInteractions({ organizationId: org, customerId: c.id });
  if (!i?.processedAt) return undefined;
  // Read the customer again: the first read may predate the transaction that stored the score and
  // the customer's new average together.
  return { interaction: i, customer: (await storage.getCustomerByExternalId(org, externalId))! };
}

describe.each(DIALECTS)('ingested texts are scored automatically on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
    await db.storage.close();
  });
  afterAll(() => db.drop());

  it('in the collector process, publishing sentiment.analyzed', async () => {
    const { server, storage, organizationId, writeKey, dir } = await serve(db, 'on');
    try {
      const seen: string[] = [];
      server.hub.subscribe((org, e) => org === organizationId && seen.push(e.type));
      await post(server, writeKey, [
        event({
          userId: 'e2e-angry',
          properties: { content: 'Your product is awful and support never answers' },
        }),
      ]);
      const { interaction, customer } = await until('the score', () =>
        scored(storage, organizationId, 'e2e-angry'),
      );
      expect(interaction.sentiment?.label).toBe('negative');
      expect(customer.averageSentiment).toBeLessThan(0);
      expect(seen).toEqual(['interaction.created', 'sentiment.analyzed']);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('by a separate `heed worker` process while the collector only ingests', async () => {
    const { server, storage, organizationId, writeKey, dir } = await serve(db, 'off');
    let worker: ChildProcess | undefined;
    try {
      expect(server.analysis).toBeUndefined();
      await post(server, writeKey, [
        event({
          userId: 'e2e-happy',
          properties: { content: 'Thank you, the new release is brilliant, love it' },
        }),
      ]);
      worker = spawn(process.execPath, [CLI, 'worker'], {
        env: {
          ...process.env,
          DATABASE_URL: db.databaseUrl ?? db.sqlitePath,
          HEED_DATA_DIR: dir,
          LOG_LEVEL: 'silent',
          ML_THREADS: '1',
        },
        stdio: 'ignore',
      });
      const { interaction } = await until(
        'the worker',
        () => scored(storage, organizationId, 'e2e-happy'),
        20_000,
      );
      expect(interaction.sentiment?.label).toBe('positive');
    } finally {
      worker?.kill('SIGTERM');
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
