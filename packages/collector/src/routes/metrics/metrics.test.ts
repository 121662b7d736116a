import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithOrg, event, TEST_CONFIG, userWithToken } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';
import { sample } from '../../../test/metrics-text.js';
import { createApp } from '../../app.js';
import { createLogger } from '../../logger.js';
import { Hub } from '../../realtime/hub.js';

describe.each(DIALECTS)('/metrics on %s', (dialect) => {
  let db: TestDatabase;
  let t: Awaited<ReturnType<typeof appWithOrg>>;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
    t = await appWithOrg(db.storage, 'Metrics');
  });
  afterAll(() => db.drop());

  const post = (batch: unknown[]) =>
    t.app.request('/v1/batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${t.writeKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batch }),
    });

  it('counts accepted, rejected and duplicate events, and requests by route pattern, status and latency', async () => {
    const a = event();
    const b = event();
    expect((await post([a, b, { type: 'track' }])).status).toBe(400); // 2 stored, 1 rejected
    expect((await post([a])).status).toBe(200); // duplicate
    const { headers } = await userWithToken(db.storage, t.organizationId, 'viewer');
    const id = '00000000-0000-4000-8000-000000000000';
    expect((await t.app.request(`/api/customers/${id}`, { headers })).status).toBe(404);
    await t.app.request('/no/such/path');

    const res = await t.app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(sample(text, 'heed_events_total', { outcome: 'accepted' })).toBe(2);
    expect(sample(text, 'heed_events_total', { outcome: 'rejected' })).toBe(1);
    expect(sample(text, 'heed_events_total', { outcome: 'duplicate' })).toBe(1);
    expect(sample(text, 'heed_http_requests_total', { route: '/v1/batch', status: '400' })).toBe(1);
    expect(sample(text, 'heed_http_requests_total', { route: '/v1/batch', status: '200' })).toBe(1);
    // The pattern, not the raw path: one series for every customer id.
    expect(sample(text, 'heed_http_requests_total', { route: '/api/customers/:id', status: '404' })).toBe(1);
    expect(text).not.toContain(id);
    expect(text).not.toContain('/no/such/path');
    expect(sample(text, 'heed_http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
    expect(
      sample(text, 'heed_http_request_duration_seconds_count', { route: '/v1/batch', method: 'POST' }),
    ).toBe(2);
    // Storage calls are timed by operation; the cache counters are exported.
    expect(sample(text, 'heed_db_query_duration_seconds_count', { operation: 'ingest' })).toBe(2);
    expect(sample(text, 'heed_cache_hits_total')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'heed_circuit_state', { breaker: 'database' })).toBe(0);
    if (dialect === 'postgres') {
      expect(sample(text, 'heed_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    }
  });

  it('with METRICS_TOKEN, answers 401 without the bearer token and 200 with it', async () => {
    const app = createApp({
      storage: db.storage,
      logger: createLogger('silent'),
      hub: new Hub(),
      config: { ...TEST_CONFIG, metricsToken: 'metrics-token-0123456789' },
    });
    expect((await app.request('/metrics')).status).toBe(401);
    const wrong = { authorization: 'Bearer metrics-token-01234567xx' };
    expect((await app.request('/metrics', { headers: wrong })).status).toBe(401);
    const ok = await app.request('/metrics', {
      headers: { authorization: 'Bearer metrics-token-0123456789' },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('heed_http_requests_total');
  });

  it('without a token, refuses requests that came through a proxy', async () => {
    const res = await t.app.request('/metrics', { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(res.status).toBe(403);
  });
});
