import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithOrg } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';
import { generateApiKey } from '../../keys.js';

interface Answer {
  success?: boolean;
  accepted: number;
  duplicates: number;
  rejected: number;
  code?: string;
  details?: Array<{ index?: number; field: string; message: string }>;
}

let n = 0;
/** An event as analytics.js sends it to a short path: writeKey, sentAt and _metadata inside. */
const browserEvent = (writeKey: string, over: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Clicked Buy',
  messageId: `ajs-next-${Date.now()}-${++n}`,
  anonymousId: 'anon-browser',
  timestamp: new Date(Date.now() - 1000).toISOString(),
  sentAt: new Date().toISOString(),
  properties: { plan: 'pro' },
  context: {
    library: { name: 'analytics.js', version: 'next-1.70.0' },
    page: { url: 'https://shop.example/cart', path: '/cart' },
  },
  integrations: {},
  _metadata: { bundled: [], unbundled: [] },
  writeKey,
  ...over,
});

describe.each(DIALECTS)('Segment compatibility endpoints on %s', (dialect) => {
  let db: TestDatabase;
  let ctx: Awaited<ReturnType<typeof appWithOrg>>;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    ctx.app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', ...headers },
      body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    });
  const basic = () => `Basic ${Buffer.from(`${ctx.writeKey}:`).toString('base64')}`;
  const rowsOf = async (externalId: string) => {
    const c = await db.storage.getCustomerByExternalId(ctx.organizationId, externalId);
    return c ? db.storage.listInteractions({ organizationId: ctx.organizationId, customerId: c.id }) : [];
  };

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    ctx = await appWithOrg(db.storage);
  });
  afterAll(() => db.drop());

  it('takes one event on /v1/{type} with the key in Basic auth, the type from the path', async () => {
    const res = await post(
      '/v1/identify',
      { userId: 'seg-u1', messageId: 'seg-id-1', traits: { email: 'u1@example.com', segment: 'enterprise' } },
      { authorization: basic(), 'content-type': 'application/json' },
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, accepted: 1, duplicates: 0, rejected: 0 });
    const customer = await db.storage.getCustomerByExternalId(ctx.organizationId, 'seg-u1');
    expect(customer?.segment).toBe('enterprise');
    expect(Object.keys(customer?.traits ?? {})).toContain('email');
  });

  it('takes analytics.js short paths: text/plain, writeKey in the body, browser channel, no transport fields stored', async () => {
    for (const [path, type] of [
      ['/v1/t', 'track'],
      ['/v1/p', 'page'],
      ['/v1/i', 'identify'],
      ['/v1/g', 'group'],
      ['/v1/a', 'alias'],
      ['/v1/s', 'screen'],
    ] as const) {
      const res = await post(path, browserEvent(ctx.writeKey, { type, userId: 'seg-short' }), {
        origin: 'https://shop.example',
      });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    }
    const rows = await rowsOf('seg-short');
    expect(rows.map((r) => r.eventType).sort()).toEqual([
      'Clicked Buy',
      'alias',
      'group',
      'identify',
      'page',
      'screen',
    ]);
    expect(new Set(rows.map((r) => r.channel))).toEqual(new Set(['web'])); // analytics.js is a browser library
    for (const r of rows) {
      expect(JSON.stringify(r.metadata)).not.toContain(ctx.writeKey);
      expect(r.metadata).not.toHaveProperty('_metadata');
    }
  });

  it('takes an analytics.js batch on /v1/b and stores the valid events of a mixed one (400 with details)', async () => {
    const good = browserEvent(ctx.writeKey, { userId: 'seg-batch' });
    const bad = browserEvent(ctx.writeKey, { userId: undefined, anonymousId: undefined });
    const res = await post('/v1/b', {
      writeKey: ctx.writeKey,
      sentAt: new Date().toISOString(),
      batch: [good, bad],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Answer;
    expect(body).toMatchObject({ accepted: 1, rejected: 1, code: 'validation_failed' });
    expect(body.details).toEqual([expect.objectContaining({ index: 1, field: 'userId' })]);
    expect(await rowsOf('seg-batch')).toHaveLength(1);
  });

  it('answers 400, not 413, over 32 KB for one event and over 500 KB for /v1/b (as Segment documents)', async () => {
    const big = { userId: 'seg-big', event: 'Big', properties: { blob: 'x'.repeat(33 * 1024) } };
    const one = await post('/v1/track', big, { authorization: basic() });
    expect(one.status).toBe(400);
    expect(((await one.json()) as Answer).code).toBe('bad_request');
    const batch = Array.from({ length: 20 }, () =>
      browserEvent(ctx.writeKey, { properties: { blob: 'y'.repeat(30 * 1024) } }),
    );
    const many = await post('/v1/b', { writeKey: ctx.writeKey, batch });
    expect(many.status).toBe(400);
    // gzip does not get around the limit: it applies to the inflated body too
    const gz = gzipSync(JSON.stringify(big));
    expect((await post('/v1/track', gz, { authorization: basic(), 'content-encoding': 'gzip' })).status).toBe(
      400,
    );
    expect(await rowsOf('seg-big')).toHaveLength(0);
  });

  it('dedupes by messageId, and gives a raw HTTP call without one a stable id when it has a timestamp', async () => {
    const e = { userId: 'seg-dedupe', event: 'Paid', messageId: 'seg-dup-1' };
    expect((await post('/v1/track', e, { authorization: basic() })).status).toBe(200);
    const again = await post('/v1/track', e, { authorization: basic() });
    expect(await again.json()).toMatchObject({ success: true, accepted: 0, duplicates: 1 });
    const stamped = {
      userId: 'seg-dedupe',
      event: 'Refunded',
      timestamp: new Date(Date.now() - 5000).toISOString(),
    };
    await post('/v1/track', stamped, { authorization: basic() });
    expect(await (await post('/v1/track', stamped, { authorization: basic() })).json()).toMatchObject({
      duplicates: 1,
    });
    expect(await rowsOf('seg-dedupe')).toHaveLength(2);
  });

  it('infers the channel: properties.channel, mobile libraries, screen calls, else web', async () => {
    const send = (over: Record<string, unknown>) =>
      post('/v1/track', { userId: 'seg-channel', event: 'E', ...over }, { authorization: basic() });
    await send({ messageId: 'ch-1', properties: { channel: 'phone' } });
    await send({ messageId: 'ch-2', context: { library: { name: 'analytics-ios', version: '4' } } });
    await send({
      messageId: 'ch-3',
      context: { library: { name: '@segment/analytics-node', version: '3' } },
    });
    await send({ messageId: 'ch-4', properties: { channel: 'email', content: 'Refund please' } });
    const byId = new Map((await rowsOf('seg-channel')).map((r) => [r.messageId, r.channel]));
    expect(Object.fromEntries(byId)).toEqual({
      'ch-1': 'phone',
      'ch-2': 'mobile',
      'ch-3': 'web',
      'ch-4': 'email',
    });
  });

  it('answers CORS preflights for any origin, then enforces the key’s allowed origins (403)', async () => {
    const pre = await ctx.app.request('/v1/t', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://elsewhere.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://elsewhere.example');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')).toBe('content-type');

    const key = generateApiKey('write');
    await db.storage.createApiKey({
      organizationId: ctx.organizationId,
      kind: 'write',
      name: 'shop only',
      keyHash: key.hash,
      keyPrefix: key.prefix,
      allowedOrigins: ['https://shop.example'],
    });
    const denied = await post('/v1/t', browserEvent(key.key), { origin: 'https://elsewhere.example' });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBe('https://elsewhere.example');
    expect((await post('/v1/t', browserEvent(key.key), { origin: 'https://shop.example' })).status).toBe(200);
  });

  it('answers 401 without a key or with an unknown one, and 400 for invalid JSON', async () => {
    expect((await post('/v1/track', { userId: 'x', event: 'E' })).status).toBe(401);
    expect((await post('/v1/track', { userId: 'x', event: 'E', writeKey: 'hk_w_nope' })).status).toBe(401);
    expect((await post('/v1/track', '{"userId":', { authorization: basic() })).status).toBe(400);
  });

  it('serves analytics.js settings that point its Segment.io destination at this collector', async () => {
    const res = await ctx.app.request(`http://heed.test:8080/v1/projects/${ctx.writeKey}/settings`, {
      headers: { origin: 'https://shop.example' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const settings = (await res.json()) as { integrations: Record<string, unknown> };
    expect(settings.integrations['Segment.io']).toEqual({
      apiKey: ctx.writeKey,
      apiHost: 'heed.test:8080/v1',
      protocol: 'http',
    });
    expect((await ctx.app.request('/v1/projects/hk_w_nope/settings')).status).toBe(401);
  });

  it('documents the paths in /openapi.json', async () => {
    const doc = (await (await ctx.app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/track', '/v1/t', '/v1/b']));
  });
});
