import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithOrg } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';
import { POSTHOG_PATHS } from './index.js';

interface Answer {
  status?: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  code?: string;
  details?: Array<{ index?: number; field: string; message: string }>;
}

let n = 0;
const uuid = () => `0190a1b2-0000-7000-8000-${String(++n).padStart(12, '0')}`;
/** An event as posthog-js queues it: token and distinct_id in properties, offset instead of timestamp. */
const jsEvent = (token: string, over: Record<string, unknown> = {}) => ({
  event: 'Clicked Buy',
  uuid: uuid(),
  offset: 1500,
  properties: {
    token,
    distinct_id: 'ph-web',
    $lib: 'web',
    $lib_version: '1.200.0',
    $current_url: 'https://shop.example/cart',
    $session_id: 'sess-1',
  },
  ...over,
});

describe.each(DIALECTS)('PostHog compatibility endpoints on %s', (dialect) => {
  let db: TestDatabase;
  let ctx: Awaited<ReturnType<typeof appWithOrg>>;
  const post = (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
    ctx.app.request(path, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body });
  const rowsOf = async (externalId: string) => {
    const c = await db.storage.getCustomerByExternalId(ctx.organizationId, externalId);
    return c ? db.storage.listInteractions({ organizationId: ctx.organizationId, customerId: c.id }) : [];
  };

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    ctx = await appWithOrg(db.storage);
  });
  afterAll(() => db.drop());

  it('answers on every capture path, with and without the trailing slash', async () => {
    for (const base of POSTHOG_PATHS) {
      for (const path of [base, `${base}/`]) {
        const res = await post(
          path,
          JSON.stringify(
            jsEvent(ctx.writeKey, { properties: { token: ctx.writeKey, distinct_id: 'ph-paths' } }),
          ),
        );
        expect(res.status, path).toBe(200);
        expect(await res.json()).toEqual({ status: 1, accepted: 1, duplicates: 0, rejected: 0 });
      }
    }
    expect(await rowsOf('ph-paths')).toHaveLength(POSTHOG_PATHS.length * 2);
  });

  it('takes posthog-js bodies: gzip with ?compression=gzip-js, gzip without the flag, base64 forms', async () => {
    const a = jsEvent(ctx.writeKey);
    const b = jsEvent(ctx.writeKey);
    const c = jsEvent(ctx.writeKey);
    const sentAt = Date.now();
    expect(
      (await post(`/e/?compression=gzip-js&_=${sentAt}&ver=1.200.0`, gzipSync(JSON.stringify([a])))).status,
    ).toBe(200);
    expect((await post('/i/v0/e/', gzipSync(JSON.stringify([b])))).status).toBe(200);
    const form = `data=${encodeURIComponent(Buffer.from(JSON.stringify([c])).toString('base64'))}&compression=base64`;
    const res = await post('/e/', form, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
    const rows = await rowsOf('ph-web');
    expect(rows.map((r) => r.messageId).sort()).toEqual([a.uuid, b.uuid, c.uuid].sort());
    const first = rows.find((r) => r.messageId === a.uuid)!;
    expect(first).toMatchObject({ channel: 'web', eventType: 'Clicked Buy' });
    expect(Math.abs(first.timestamp.getTime() - (sentAt - 1500))).toBeLessThan(2000); // offset before ?_=
    expect(first.metadata.context).toMatchObject({
      library: { name: 'web', version: '1.200.0' },
      page: { url: 'https://shop.example/cart' },
      sessionId: 'sess-1',
    });
    expect(first.metadata.properties).not.toHaveProperty('token');
  });

  it('takes a posthog-node batch with api_key and sent_at, deduping by uuid (retries)', async () => {
    const e = {
      event: 'Invoice Paid',
      distinct_id: 'ph-node',
      uuid: uuid(),
      timestamp: new Date(Date.now() - 10_000).toISOString(),
      properties: { $lib: 'posthog-node', amount: 30 },
    };
    const body = JSON.stringify({ api_key: ctx.writeKey, batch: [e], sent_at: new Date().toISOString() });
    expect(await (await post('/batch/', body, { 'content-type': 'application/json' })).json()).toMatchObject({
      accepted: 1,
    });
    const retry = await post('/batch/?retry_count=1', gzipSync(body), { 'content-encoding': 'gzip' });
    expect(await retry.json()).toEqual({ status: 1, accepted: 0, duplicates: 1, rejected: 0 });
    const [row] = await rowsOf('ph-node');
    expect(row).toMatchObject({ eventType: 'Invoice Paid', channel: 'web' });
    expect(row!.metadata.properties).toMatchObject({ amount: 30 });
  });

  it('puts $identify / $set person properties into the customer profile', async () => {
    const identify = {
      event: '$identify',
      distinct_id: 'ph-person',
      uuid: uuid(),
      properties: { $set: { email: 'p@example.com', segment: 'enterprise' }, $anon_distinct_id: 'ph-anon' },
    };
    const set = {
      event: '$set',
      distinct_id: 'ph-person',
      uuid: uuid(),
      properties: { $set: { plan: 'gold' } },
    };
    const res = await post('/batch/', JSON.stringify({ api_key: ctx.writeKey, batch: [identify, set] }));
    expect(res.status).toBe(200);
    const c = await db.storage.getCustomerByExternalId(ctx.organizationId, 'ph-person');
    expect(c?.segment).toBe('enterprise');
    expect(Object.keys(c?.traits ?? {})).toEqual(expect.arrayContaining(['email', 'segment', 'plan']));
  });

  it('stores the valid events of a mixed batch and names the bad fields in PostHog terms (400)', async () => {
    const good = { event: 'Ok', distinct_id: 'ph-mixed', uuid: uuid() };
    const noId = { event: 'No one', uuid: uuid() };
    const res = await post('/batch/', JSON.stringify({ api_key: ctx.writeKey, batch: [good, noId] }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as Answer;
    expect(body).toMatchObject({ accepted: 1, rejected: 1, code: 'validation_failed' });
    expect(body.details).toEqual([expect.objectContaining({ index: 1, field: 'distinct_id' })]);
    expect(await rowsOf('ph-mixed')).toHaveLength(1);
  });

  it('answers 401 without a key or with an unknown one, 413 over 500 KB, 400 for junk', async () => {
    const e = { event: 'E', distinct_id: 'ph-err', uuid: uuid() };
    expect((await post('/capture/', JSON.stringify(e))).status).toBe(401);
    expect((await post('/capture/', JSON.stringify({ ...e, api_key: 'hk_w_nope' }))).status).toBe(401);
    const big = Array.from({ length: 20 }, () => ({
      ...e,
      api_key: ctx.writeKey,
      properties: { x: 'x'.repeat(30_000) },
    }));
    expect((await post('/e/', JSON.stringify(big))).status).toBe(413);
    expect((await post('/e/', '{"event":')).status).toBe(400);
    expect(await post('/e/?compression=lz64', 'N4IgzgxgTg')).toHaveProperty('status', 400);
    expect(await rowsOf('ph-err')).toHaveLength(0);
  });

  it('documents the capture paths in /openapi.json', async () => {
    const doc = (await (await ctx.app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/batch/', '/capture/', '/e/', '/i/v0/e/']),
    );
  });

  it('answers CORS preflights from any origin', async () => {
    const res = await ctx.app.request('/e/', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });
});
