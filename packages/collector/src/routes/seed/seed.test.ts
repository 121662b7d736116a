import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsApp, api } from '../../../test/accounts.js';
import { event, TEST_CONFIG, userWithToken } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';
import { createApp } from '../../app.js';
import { generateApiKey } from '../../keys.js';
import { createLogger } from '../../logger.js';
import { Hub } from '../../realtime/hub.js';
import type { Storage } from '../../storage/types.js';

interface Summary {
  successful: number;
  failed: number;
  errors: Array<{ index: number; field: string; message: string }>;
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

describe.each(DIALECTS)('seed ingest API on %s', (dialect) => {
  let db: TestDatabase;
  let t: Awaited<ReturnType<typeof accountsApp>>;
  let analyst: Awaited<ReturnType<typeof userWithToken>>;
  let c: ReturnType<typeof api>;
  let customerId: string;
  let foreignCustomerId: string;

  const customer = async (organizationId: string, externalId: string) => {
    await db.storage.ingest(organizationId, [
      {
        id: crypto.randomUUID(),
        messageId: `seed-${externalId}-${Math.random()}`,
        externalId,
        timestamp: new Date(Date.now() - 3_600_000),
        receivedAt: new Date(),
        channel: 'web',
        eventType: 'page',
        content: null,
        metadata: {},
        segment: null,
        traits: null,
      },
    ]);
    return (await db.storage.getCustomerByExternalId(organizationId, externalId))!.id;
  };

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    t = await accountsApp(db.storage);
    analyst = await userWithToken(db.storage, t.organizationId, 'analyst');
    c = api(t.app);
    customerId = await customer(t.organizationId, 'cust-1');
    const other = await db.storage.createOrganization('Other', `other-${Math.random()}`);
    foreignCustomerId = await customer(other, 'cust-foreign');
  });
  afterAll(() => db.drop());

  it('stores one interaction of an existing customer: 201 with its id, published live', async () => {
    const seen: unknown[] = [];
    const unsubscribe = t.hub.subscribe((_org, e) => seen.push(e));
    const res = await c.post(
      '/api/data/ingest',
      {
        customerId,
        channel: 'chat',
        eventType: 'Chat Message',
        content: 'Where is my order?',
        timestamp: minutesAgo(5),
        metadata: { agent: 'bot' },
      },
      analyst.token,
    );
    unsubscribe?.();
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const [stored] = await db.storage.listInteractions({ organizationId: t.organizationId, customerId });
    expect(stored).toMatchObject({
      id,
      channel: 'chat',
      eventType: 'Chat Message',
      content: 'Where is my order?',
    });
    expect(stored?.metadata.properties).toEqual({ agent: 'bot' });
    expect(seen).toEqual([expect.objectContaining({ type: 'interaction.created' })]);
  });

  it('is idempotent on messageId', async () => {
    const body = { customerId, channel: 'web', eventType: 'Clicked', messageId: 'seed-idem-1' };
    expect((await c.post('/api/data/ingest', body, analyst.token)).status).toBe(201);
    const again = await c.post('/api/data/ingest', body, analyst.token);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
  });

  it('validates with the protocol rules, naming the seed API fields', async () => {
    const bad = async (body: Record<string, unknown>) => {
      const res = await c.post(
        '/api/data/ingest',
        { customerId, channel: 'web', eventType: 'x', ...body },
        analyst.token,
      );
      expect(res.status).toBe(400);
      return ((await res.json()) as { details: Array<{ field: string }> }).details.map((d) => d.field);
    };
    expect(await bad({ channel: 'pigeon' })).toEqual(['channel']);
    expect(await bad({ channel: 'email' })).toEqual(['content']);
    expect(await bad({ eventType: '' })).toEqual(['eventType']);
    expect(await bad({ timestamp: new Date(Date.now() + 3_600_000).toISOString() })).toEqual(['timestamp']);
    expect(await bad({ customerId: 'not-a-uuid' })).toEqual(['customerId']);
  });

  it("answers 404 for a customer that does not exist or is another organization's", async () => {
    for (const id of [crypto.randomUUID(), foreignCustomerId]) {
      const res = await c.post(
        '/api/data/ingest',
        { customerId: id, channel: 'web', eventType: 'x' },
        analyst.token,
      );
      expect(res.status).toBe(404);
    }
    expect(await db.storage.getCustomerById(t.organizationId, foreignCustomerId)).toBeNull();
  });

  it('is for analysts and admins: viewers get 403', async () => {
    const viewer = await userWithToken(db.storage, t.organizationId, 'viewer');
    const body = { customerId, channel: 'web', eventType: 'x' };
    expect((await c.post('/api/data/ingest', body, viewer.token)).status).toBe(403);
    expect((await c.post('/api/data/ingest/batch', { interactions: [body] }, viewer.token)).status).toBe(403);
    const admin = await userWithToken(db.storage, t.organizationId, 'admin');
    expect((await c.post('/api/data/ingest', body, admin.token)).status).toBe(201);
  });

  it('ingests a batch in chunks and summarises per item', async () => {
    const items: unknown[] = [];
    for (let i = 0; i < 250; i++)
      items.push({ customerId, channel: 'email', eventType: 'Support Email', content: `mail ${i}` });
    items[3] = { customerId, channel: 'email', eventType: 'Support Email' }; // no content
    items[120] = { customerId: foreignCustomerId, channel: 'web', eventType: 'x' };
    items[200] = 'not an object';
    const before = await db.storage.countInteractions(t.organizationId);
    const res = await c.post('/api/data/ingest/batch', { interactions: items }, analyst.token);
    expect(res.status).toBe(200);
    const summary = (await res.json()) as Summary;
    expect(summary).toMatchObject({ successful: 247, failed: 3 });
    expect(summary.errors).toEqual([
      { index: 3, field: 'content', message: expect.any(String) },
      { index: 120, field: 'customerId', message: expect.stringContaining('no such customer') },
      { index: 200, field: '', message: 'must be an object' },
    ]);
    expect(await db.storage.countInteractions(t.organizationId)).toBe(before + 247);
  });

  it('rolls back only the chunk that fails; the others are stored', async () => {
    const failing = failingSecondIngest(db.storage);
    const app = createApp({
      storage: failing,
      logger: createLogger('silent'),
      hub: new Hub(),
      config: TEST_CONFIG,
    });
    const items = Array.from({ length: 250 }, (_, i) => ({
      customerId,
      channel: 'web',
      eventType: `chunk-test-${i}`,
    }));
    const before = await db.storage.countInteractions(t.organizationId);
    const res = await api(app).post('/api/data/ingest/batch', { interactions: items }, analyst.token);
    const summary = (await res.json()) as Summary;
    expect(summary.successful).toBe(150);
    expect(summary.failed).toBe(100);
    expect(summary.errors.map((e) => e.index)).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
    expect(await db.storage.countInteractions(t.organizationId)).toBe(before + 150);
  });

  it('does not hold up real-time ingestion while a large batch runs', async () => {
    const k = generateApiKey('write');
    await db.storage.createApiKey({
      organizationId: t.organizationId,
      kind: 'write',
      name: 'rt',
      keyHash: k.hash,
      keyPrefix: k.prefix,
    });
    const items = Array.from({ length: 1000 }, (_, i) => ({
      customerId,
      channel: 'web',
      eventType: `bulk-${i}`,
    }));
    const order: string[] = [];
    const bulk = Promise.resolve(
      c.post('/api/data/ingest/batch', { interactions: items }, analyst.token),
    ).then((r) => {
      order.push('bulk');
      return r;
    });
    await new Promise((r) => setTimeout(r, 5));
    const live = Promise.resolve(
      t.app.request('/v1/batch', {
        method: 'POST',
        headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ batch: [event({ userId: 'live-user' })] }),
      }),
    ).then((r) => {
      order.push('live');
      return r;
    });
    const [b, l] = await Promise.all([bulk, live]);
    expect(l.status).toBe(200);
    expect(((await b.json()) as Summary).successful).toBe(1000);
    expect(order).toEqual(['live', 'bulk']);
  });
});

/** The storage, with the second ingest call (the second chunk) failing inside the database. */
function failingSecondIngest(storage: Storage): Storage {
  let calls = 0;
  return new Proxy(storage, {
    get(target, prop, receiver) {
      if (prop === 'ingest') {
        return (...args: Parameters<Storage['ingest']>) => {
          calls++;
          if (calls !== 2) return target.ingest(...args);
          // The chunk's last row breaks a database constraint: the database rolls back the 99 before it.
          const [org, rows] = args;
          return target.ingest(org, [...rows.slice(0, -1), { ...rows[rows.length - 1]!, eventType: '' }]);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
