import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithOrg, event } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';

interface Answer {
  success: boolean;
  accepted: number;
  duplicates: number;
  rejected: number;
  code: string;
  details: Array<{ index?: number; field: string; message: string }>;
  requestId: string;
}
const json = async (res: Response): Promise<Answer> => (await res.json()) as Answer;

describe.each(DIALECTS)('POST /v1/batch on %s', (dialect) => {
  let db: TestDatabase;
  let ctx: Awaited<ReturnType<typeof appWithOrg>>;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    ctx.app.request('/v1/batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.writeKey}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    ctx = await appWithOrg(db.storage);
  });
  afterAll(() => db.drop());

  it('stores an event, upserts and enriches its customer', async () => {
    const e = event({ userId: 'u-store', traits: { segment: 'enterprise' } });
    const res = await post({ batch: [e], sentAt: new Date().toISOString() });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ success: true, accepted: 1, duplicates: 0, rejected: 0 });
    const customer = await db.storage.getCustomerByExternalId(ctx.organizationId, 'u-store');
    expect(customer?.interactionCount).toBe(1);
    const [stored] = await db.storage.listInteractions({
      organizationId: ctx.organizationId,
      customerId: customer!.id,
    });
    expect(stored).toMatchObject({
      messageId: e.messageId,
      channel: 'email',
      eventType: 'Support Email',
      content: 'The export keeps failing, please help',
    });
    expect(stored?.metadata.properties).toEqual({ plan: 'pro' });
    expect(stored?.metadata.device).toMatchObject({ type: 'mobile', os: 'iOS', browser: 'Mobile Safari' });
  });

  it('answers success and stores nothing new when the same batch is sent again', async () => {
    const batch = [event({ userId: 'u-dup' }), event({ userId: 'u-dup' })];
    expect((await json(await post({ batch }))).accepted).toBe(2);
    const again = await post({ batch });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ success: true, accepted: 0, duplicates: 2 });
    expect((await db.storage.getCustomerByExternalId(ctx.organizationId, 'u-dup'))?.interactionCount).toBe(2);
  });

  it('rejects a malformed item with its reason and stores its valid neighbours', async () => {
    const good1 = event({ userId: 'u-mixed' });
    const good2 = event({ userId: 'u-mixed' });
    const bad = event({ userId: 'u-mixed', context: { channel: 'pigeon' }, properties: {} });
    const res = await post({ batch: [good1, bad, good2] });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body).toMatchObject({ success: false, accepted: 2, rejected: 1, code: 'validation_failed' });
    expect(body.details).toEqual([
      { index: 1, field: 'context.channel', message: expect.stringContaining('web') },
    ]);
    expect(body.requestId).toEqual(expect.any(String));
    expect((await db.storage.getCustomerByExternalId(ctx.organizationId, 'u-mixed'))?.interactionCount).toBe(
      2,
    );
  });

  it('requires content for email and chat', async () => {
    const res = await post({ batch: [event({ properties: { content: '' }, context: { channel: 'chat' } })] });
    const body = await json(res);
    expect(body.details[0]).toMatchObject({
      index: 0,
      field: 'properties.content',
      message: 'must not be empty',
    });
  });

  it('corrects a wrong client clock from sentAt and keeps the original timestamp', async () => {
    const ahead = 3_600_000; // the client's clock is an hour fast
    const clientNow = Date.now() + ahead;
    const e = event({ userId: 'u-skew', timestamp: new Date(clientNow - 10_000).toISOString() });
    expect((await post({ batch: [e], sentAt: new Date(clientNow).toISOString() })).status).toBe(200);
    const c = await db.storage.getCustomerByExternalId(ctx.organizationId, 'u-skew');
    const [stored] = await db.storage.listInteractions({
      organizationId: ctx.organizationId,
      customerId: c!.id,
    });
    expect(Math.abs(stored!.timestamp.getTime() - (Date.now() - 10_000))).toBeLessThan(5_000);
    expect(stored!.metadata.originalTimestamp).toBe(e.timestamp);
  });

  it('takes geolocation from the event, else from proxy headers', async () => {
    const fromMeta = event({
      userId: 'u-geo1',
      context: { channel: 'web', location: { country: 'FR', city: 'Lyon' } },
    });
    const fromHeader = event({ userId: 'u-geo2', context: { channel: 'web' } });
    await post({ batch: [fromMeta] });
    await post({ batch: [fromHeader] }, { 'cf-ipcountry': 'DE', 'x-vercel-ip-city': 'Berlin' });
    const get = async (u: string) => {
      const c = await db.storage.getCustomerByExternalId(ctx.organizationId, u);
      return (
        await db.storage.listInteractions({ organizationId: ctx.organizationId, customerId: c!.id })
      )[0]!.metadata.geo;
    };
    expect(await get('u-geo1')).toMatchObject({ country: 'FR', city: 'Lyon', source: 'metadata' });
    expect(await get('u-geo2')).toMatchObject({ country: 'DE', city: 'Berlin', source: 'header' });
  });

  it('accepts gzip bodies and text/plain, and the write key in Basic auth or the body', async () => {
    const gz = gzipSync(JSON.stringify({ batch: [event({ userId: 'u-gz' })] }));
    expect((await post(gz, { 'content-encoding': 'gzip' })).status).toBe(200);
    const basic = `Basic ${Buffer.from(`${ctx.writeKey}:`).toString('base64')}`;
    expect(
      (await post({ batch: [event()] }, { authorization: basic, 'content-type': 'text/plain' })).status,
    ).toBe(200);
    const res = await ctx.app.request('/v1/batch', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ writeKey: ctx.writeKey, batch: [event()] }),
    });
    expect(res.status).toBe(200);
  });

  it('answers 401 without a valid key, 413 over 500 KB, 415 for other types, 400 for bad JSON', async () => {
    expect((await post({ batch: [event()] }, { authorization: 'Bearer hk_w_nope' })).status).toBe(401);
    const noKey = await ctx.app.request('/v1/batch', {
      method: 'POST',
      body: JSON.stringify({ batch: [event()] }),
    });
    expect(noKey.status).toBe(401);
    expect(await json(noKey)).toMatchObject({ code: 'unauthorized', requestId: expect.any(String) });
    const big = {
      batch: Array.from({ length: 20 }, () => event({ properties: { content: 'x'.repeat(30_000) } })),
    };
    const tooBig = await post(big);
    expect(tooBig.status).toBe(413);
    expect((await json(tooBig)).code).toBe('payload_too_large');
    expect((await post('<xml/>', { 'content-type': 'application/xml' })).status).toBe(415);
    const badJson = await post('{"batch": [', {});
    expect(badJson.status).toBe(400);
    expect((await json(badJson)).code).toBe('invalid_json');
    expect((await post({ nope: true })).status).toBe(400);
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    expect((await post(deep)).status).toBe(400);
  });

  it('rejects an event over 32 KB and keeps the others', async () => {
    const res = await post({
      batch: [
        event({ userId: 'u-size' }),
        event({ userId: 'u-size', properties: { content: 'y'.repeat(33_000) } }),
      ],
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.details[0]).toMatchObject({ index: 1, field: '' });
    expect(body.accepted).toBe(1);
  });

  it('publishes interaction.created for stored events only', async () => {
    const seen: string[] = [];
    const off = ctx.hub.subscribe((org, e) => {
      if (org === ctx.organizationId && e.type === 'interaction.created')
        seen.push((e.data as { messageId: string }).messageId);
    });
    const e = event();
    await post({ batch: [e] });
    await post({ batch: [e] });
    off();
    expect(seen).toEqual([e.messageId]);
  });

  it('answers the CORS preflight of a browser SDK posting cross-origin with its key', async () => {
    const pre = await ctx.app.request('/v1/batch', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
    const res = await post({ batch: [event()] }, { origin: 'https://shop.example.com' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
  });

  it('answers 404 with the error shape on unknown routes', async () => {
    const res = await ctx.app.request('/v1/nothing');
    expect(res.status).toBe(404);
    expect(await json(res)).toMatchObject({ code: 'not_found', requestId: expect.any(String) });
  });
});
