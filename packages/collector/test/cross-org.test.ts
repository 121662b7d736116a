import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisServices } from '../src/analysis/index.js';
import { PatternService } from '../src/analysis/patterns.js';
import { createApp } from '../src/app.js';
import { memoryCache } from '../src/cache/kv.js';
import { generateApiKey } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { Hub } from '../src/realtime/hub.js';
import { appWithOrg, event, TEST_CONFIG, userWithToken } from './app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from './databases.js';

/**
 * Another organization's admin tries every resource of organization A: ids answer 404 (as if they did
 * not exist), and lists, searches, aggregates and exports show none of A's data.
 */
describe.each(DIALECTS)('cross-organization isolation on %s', (dialect) => {
  let db: TestDatabase;
  let a: Awaited<ReturnType<typeof appWithOrg>>;
  let bOrg: string;
  let bToken: string;
  const ids: Record<string, string> = {};
  const MARKER = 'zanzibar-quokka';

  const asB = async (method: string, path: string, body?: unknown) => {
    const res = await a.app.request(path, {
      method,
      headers: {
        authorization: `Bearer ${bToken}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    a = await appWithOrg(db.storage, 'Alpha');
    // With the pattern service, so that /api/patterns answers (the in-process app has no analysis).
    const logger = createLogger('silent');
    const patterns = new PatternService(db.storage, memoryCache());
    a.app = createApp({
      storage: db.storage,
      logger,
      hub: new Hub(),
      config: TEST_CONFIG,
      analysis: { patterns } as unknown as AnalysisServices,
    });
    const res = await a.app.request('/v1/batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${a.writeKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        batch: [
          event({ userId: `cust-${MARKER}`, properties: { content: `refund ${MARKER} now` } }),
          event({
            userId: `cust-${MARKER}`,
            properties: { content: `second ${MARKER}` },
            context: { channel: 'chat' },
          }),
        ],
      }),
    });
    expect(res.status).toBe(200);
    ids.customer = (await db.storage.getCustomerByExternalId(a.organizationId, `cust-${MARKER}`))!.id;
    ids.user = (await userWithToken(db.storage, a.organizationId, 'admin')).user.id;
    const k = generateApiKey('write');
    ids.key = await db.storage.createApiKey({
      organizationId: a.organizationId,
      kind: 'write',
      name: 'alpha',
      keyHash: k.hash,
      keyPrefix: k.prefix,
    });
    bOrg = await db.storage.createOrganization('Beta', `beta-${Math.random()}`);
    bToken = (await userWithToken(db.storage, bOrg, 'admin')).token;
  });
  afterAll(() => db.drop());

  it("A's own admin does see them (the routes work)", async () => {
    const { token } = await userWithToken(db.storage, a.organizationId, 'admin');
    const get = (path: string) => a.app.request(path, { headers: { authorization: `Bearer ${token}` } });
    const profile = await get(`/api/customers/${ids.customer}`);
    expect(profile.status).toBe(200);
    expect(await profile.text()).toContain(MARKER);
    expect((await get(`/api/patterns/${ids.customer}`)).status).toBe(200);
    expect(await (await get(`/api/interactions/search?q=${MARKER}`)).text()).toContain(MARKER);
  });

  it("answers 404 for each of A's ids, whatever the verb", async () => {
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/api/customers/${ids.customer}`],
      ['GET', `/api/patterns/${ids.customer}`],
      ['GET', `/api/users/${ids.user}`],
      ['PATCH', `/api/users/${ids.user}`, { role: 'viewer' }],
      ['DELETE', `/api/keys/${ids.key}`],
      ['POST', '/api/data/ingest', { customerId: ids.customer, channel: 'web', eventType: 'x' }],
    ];
    const wrong: string[] = [];
    for (const [method, path, body] of attempts) {
      const r = await asB(method, path, body);
      if (r.status !== 404 || r.text.includes(MARKER)) wrong.push(`${method} ${path}: ${r.status}`);
    }
    expect(wrong).toEqual([]);
    expect((await db.storage.users.findById(a.organizationId, ids.user!))?.role).toBe('admin');
    expect((await db.storage.keys.get(a.organizationId, ids.key!))?.revokedAt).toBeNull();
  });

  it("shows none of A's data in lists, searches, aggregates, the audit log and exports", async () => {
    const reads = [
      '/api/customers',
      `/api/interactions/search?q=${MARKER}`,
      '/api/insights',
      '/api/insights/sentiment-trends',
      '/api/insights/metrics',
      '/api/anomalies',
      '/api/users',
      '/api/keys',
      '/api/audit-log',
      '/api/export?format=ndjson',
    ];
    const leaks: string[] = [];
    for (const path of reads) {
      const r = await asB('GET', path);
      if (r.status >= 500) leaks.push(`${path}: ${r.status}`);
      for (const secret of [MARKER, ids.customer!, ids.user!, ids.key!, a.organizationId]) {
        if (r.text.includes(secret)) leaks.push(`${path} shows ${secret}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
