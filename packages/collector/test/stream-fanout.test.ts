import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startHub } from '../src/realtime/index.js';
import type { RunningServer } from '../src/serve.js';
import { freshDatabase, type TestDatabase } from './databases.js';
import { batchBody, connect, ingest, liveOrg, liveServer } from './live.js';

const REDIS_URL = process.env.HEED_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Two collector instances on one PostgreSQL database: a client of either instance sees what was
 * stored through the other, with ids that keep increasing across instances, and can resume on the
 * other instance after a reconnect. Same with Redis pub/sub when REDIS_URL is set.
 */
describe.each([
  ['PostgreSQL LISTEN/NOTIFY', {}],
  ['Redis pub/sub', { REDIS_URL, REDIS_KEY_PREFIX: `heed-test-${process.pid}-${Date.now()}:` }],
] as const)('fan-out over %s', (name, env) => {
  let db: TestDatabase;
  let a: RunningServer;
  let b: RunningServer;
  let org: Awaited<ReturnType<typeof liveOrg>>;

  beforeAll(async () => {
    db = await freshDatabase('postgres');
    a = await liveServer(db, env);
    b = await liveServer(db, env);
    org = await liveOrg(a.storage);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('uses the expected transport', () => {
    expect(a.hub.transportKind).toBe(name.startsWith('Redis') ? 'redis' : 'postgres');
  });

  it('delivers events stored on one instance to clients of both, ids increasing across instances', async () => {
    const onA = connect(`${a.url}/v1/stream`, { token: org.token });
    const onB = connect(`${b.url}/v1/stream`, { token: org.token });
    await Promise.all([onA.opened, onB.opened]);
    await ingest(a.url, org.writeKey, batchBody(3, { userId: 'from-a' }));
    await ingest(b.url, org.writeKey, batchBody(2, { userId: 'from-b' }));
    await onA.until(() => onA.events().length === 5);
    await onB.until(() => onB.events().length === 5);
    for (const client of [onA, onB]) {
      const ids = client.events().map((e) => Number(e.id));
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(new Set(ids).size).toBe(5);
      expect(client.events().map((e) => e.data.externalId)).toEqual([
        'from-a',
        'from-a',
        'from-a',
        'from-b',
        'from-b',
      ]);
    }
    expect(onA.events().map((e) => e.id)).toEqual(onB.events().map((e) => e.id));
    onA.close();
    onB.close();
  });

  it('lets a client resume on the other instance with its Last-Event-ID', async () => {
    const onA = connect(`${a.url}/v1/stream`, { token: org.token });
    await onA.opened;
    await ingest(a.url, org.writeKey, batchBody(1));
    await onA.until(() => onA.events().length === 1);
    const last = onA.messages.at(-1)!.lastEventId;
    onA.close();
    await ingest(a.url, org.writeKey, batchBody(2, { userId: 'missed' }));
    await new Promise((r) => setTimeout(r, 200));
    const onB = connect(`${b.url}/v1/stream`, { token: org.token, lastEventId: last });
    await onB.until(() => onB.events().length === 2);
    expect(onB.events().map((e) => e.data.externalId)).toEqual(['missed', 'missed']);
    expect(onB.messages.some((m) => m.type === 'resync')).toBe(false);
    onB.close();
  });

  // Only the PostgreSQL transport has a LISTEN connection to lose.
  if (name.startsWith('PostgreSQL')) {
    it('survives a lost LISTEN connection: clients are told to resync, then events flow again', async () => {
      const onB = connect(`${b.url}/v1/stream`, { token: org.token });
      await onB.opened;
      const admin = new pg.Client({ connectionString: db.databaseUrl });
      await admin.connect();
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()`,
      );
      await admin.end();
      expect(rowCount).toBe(2); // one per instance
      await onB.until(() => onB.messages.some((m) => m.type === 'resync'), 5000);
      await ingest(a.url, org.writeKey, batchBody(1, { userId: 'after-reconnect' }));
      await onB.until(() => onB.events().some((e) => e.data.externalId === 'after-reconnect'), 5000);
      onB.close();
    });
  }

  it("reaches collector clients from a separate process's hub (heed worker)", async () => {
    const config = loadConfig({
      DATABASE_URL: db.databaseUrl,
      JWT_SECRET: 'test-secret-test-secret-test-secret-0000',
      ENCRYPTION_KEY: '0'.repeat(64),
      ...env,
    });
    const worker = await startHub(config, createLogger('silent'));
    const onB = connect(`${b.url}/v1/stream`, { token: org.token });
    await onB.opened;
    worker.publish(org.organizationId, { type: 'sentiment.analyzed', data: { id: 'x', score: 0.5 } });
    await onB.until(() => onB.events().some((e) => e.type === 'sentiment.analyzed'));
    onB.close();
    await worker.close();
  });
});
