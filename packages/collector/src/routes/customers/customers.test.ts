import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithOrg, event, userWithToken } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';
import { customerId, DAY, exec, row, setSentiment } from '../../../test/insights-seed.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers under test
type Json = Record<string, any>;

describe.each(DIALECTS)('customers API on %s', (dialect) => {
  let db: TestDatabase;
  let app: Awaited<ReturnType<typeof appWithOrg>>['app'];
  let org: string;
  let headers: Record<string, string>;
  let headersB: Record<string, string>;
  let aliceId: string;
  let writeKey: string;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    const a = await appWithOrg(db.storage, 'C');
    app = a.app;
    org = a.organizationId;
    writeKey = a.writeKey;
    headers = (await userWithToken(db.storage, org, 'viewer')).headers;
    const orgB = await db.storage.createOrganization('B', `b-${Math.random()}`);
    headersB = (await userWithToken(db.storage, orgB, 'viewer')).headers;
    const now = Date.now();
    const rows = [];
    for (let i = 0; i < 30; i++) {
      rows.push(
        row({
          messageId: `alice-${i}`,
          externalId: 'alice@example.com',
          segment: 'enterprise',
          timestamp: new Date(now - (i % 3) * DAY - i * 1000),
        }),
      );
    }
    rows.push(row({ externalId: 'alfred', segment: 'free' }), row({ externalId: 'bob', segment: 'free' }));
    rows.push(row({ externalId: 'al_x' }), row({ externalId: 'al%y' }));
    await db.storage.ingest(org, rows);
    for (let i = 0; i < 30; i++) await setSentiment(db.storage, `alice-${i}`, i % 3 === 0 ? 0.5 : -0.5);
    aliceId = await customerId(db.storage, org, 'alice@example.com');
    await exec(
      db.storage,
      `INSERT INTO behavior_patterns (id, organization_id, customer_id, pattern_type, description, confidence, frequency)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [crypto.randomUUID(), org, aliceId, 'support_heavy', 'Writes to support every week', 0.8, 4],
    );
    await db.storage.ingest(orgB, [row({ externalId: 'alice@example.com' })]);
  });
  afterAll(() => db.drop());

  const get = async (path: string, h = headers) => {
    const res = await app.request(path, { headers: h });
    return { status: res.status, body: (await res.json()) as Json };
  };

  it('lists customers by segment and searches by external id prefix', async () => {
    const all = await get('/api/customers');
    expect(all.body.pagination.total).toBe(5);
    const free = await get('/api/customers?segment=free');
    expect(free.body.data.map((c: Json) => c.externalId).sort()).toEqual(['alfred', 'bob']);
    const al = await get('/api/customers?search=al');
    expect(al.body.data.map((c: Json) => c.externalId).sort()).toEqual([
      'al%y',
      'al_x',
      'alfred',
      'alice@example.com',
    ]);
    // LIKE wildcards in the search are literal characters.
    expect((await get('/api/customers?search=al_')).body.data.map((c: Json) => c.externalId)).toEqual([
      'al_x',
    ]);
    expect((await get('/api/customers?pageSize=2&page=3')).body.data).toHaveLength(1);
    expect((await get('/api/customers?pageSize=500')).status).toBe(400);
  });

  it('shows a profile with recent interactions, patterns and sentiment over time', async () => {
    const { status, body } = await get(`/api/customers/${aliceId}`);
    expect(status).toBe(200);
    expect(body.customer).toMatchObject({
      externalId: 'alice@example.com',
      segment: 'enterprise',
      interactionCount: 30,
    });
    expect(body.recentInteractions).toHaveLength(20);
    const ts = body.recentInteractions.map((i: Json) => Date.parse(i.timestamp));
    expect(ts).toEqual([...ts].sort((x, y) => y - x));
    expect(body.patterns).toEqual([
      expect.objectContaining({ patternType: 'support_heavy', confidence: 0.8, frequency: 4 }),
    ]);
    expect(body.sentimentOverTime.length).toBeGreaterThanOrEqual(3);
    expect(body.sentimentOverTime.reduce((n: number, p: Json) => n + p.count, 0)).toBe(30);
    const today = body.sentimentOverTime.find((p: Json) => p.meanSentiment === 0.5);
    expect(today).toBeDefined();
  });

  it('answers 404 for another organization’s customer and for a malformed id', async () => {
    expect((await get(`/api/customers/${aliceId}`, headersB)).status).toBe(404);
    expect((await get('/api/customers/not-a-uuid')).status).toBe(404);
    expect((await get(`/api/customers/${crypto.randomUUID()}`)).status).toBe(404);
  });

  it('shows traits and metadata in clear although PII is stored encrypted', async () => {
    const res = await app.request('/v1/batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        batch: [
          event({ type: 'identify', userId: 'pii-user', traits: { email: 'pii@example.com', plan: 'pro' } }),
        ],
      }),
    });
    expect(res.status).toBe(200);
    const [stored] = (await exec(db.storage, 'SELECT traits FROM customers WHERE external_id = ?', [
      'pii-user',
    ])) as {
      traits: unknown;
    }[];
    expect(JSON.stringify(stored?.traits)).not.toContain('pii@example.com');
    const list = await get('/api/customers?search=pii-');
    expect(list.body.data[0].traits).toMatchObject({ email: 'pii@example.com', plan: 'pro' });
    const profile = await get(`/api/customers/${list.body.data[0].id}`);
    expect(profile.body.customer.traits.email).toBe('pii@example.com');
    expect(profile.body.recentInteractions[0].metadata.traits.email).toBe('pii@example.com');
  });
});
