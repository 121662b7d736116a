import { gzipSync } from 'node:zlib';
import type { JsonObject } from '@heed/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  firstLanguage,
  type RequestFacts,
  withPageFromUrl,
  withRequestContext,
} from '../src/ingest/enrich.js';
import { appWithOrg, event } from './app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from './databases.js';

/**
 * The browser SDK sends `context.page.url` without path, search or campaign; the collector derives
 * them from the URL at ingest, exactly as the SDK derived them from `location` before.
 */
describe('withPageFromUrl', () => {
  it('derives path, search and the utm_* campaign (utm_campaign as name)', () => {
    const url =
      'https://shop.example/pricing/team?utm_source=news&utm_campaign=spring&plan=pro&utm_x_y=1#faq';
    expect(withPageFromUrl({ channel: 'web', page: { url, title: 'Pricing' } })).toEqual({
      channel: 'web',
      page: {
        url,
        title: 'Pricing',
        path: '/pricing/team',
        search: '?utm_source=news&utm_campaign=spring&plan=pro&utm_x_y=1',
      },
      campaign: { source: 'news', name: 'spring', x_y: '1' },
    });
  });

  it('leaves no campaign without utm_ parameters, and an empty search without a query', () => {
    expect(withPageFromUrl({ page: { url: 'https://shop.example/' } })).toEqual({
      page: { url: 'https://shop.example/', path: '/', search: '' },
    });
  });

  it('keeps what the event carries, and contexts without a parsable URL as they are', () => {
    const own = {
      page: { url: 'https://a.example/x?utm_source=s', path: '/own', search: '' },
      campaign: { name: 'c' },
    };
    expect(withPageFromUrl(own)).toEqual(own);
    const others: JsonObject[] = [{}, { page: 'x' }, { page: { url: 42 } }, { page: { url: 'not a url' } }];
    for (const ctx of others) expect(withPageFromUrl(ctx)).toBe(ctx);
  });
});

const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const request = (fromBrowser: boolean, headers: Record<string, string>): RequestFacts => ({
  fromBrowser,
  userAgent: headers['user-agent'],
  header: (name) => headers[name],
});

/** The browser SDK sends neither userAgent nor locale: the request's headers say both. */
describe('withRequestContext', () => {
  it("fills a browser's userAgent and locale from its User-Agent and Accept-Language", () => {
    const req = request(true, { 'user-agent': CHROME, 'accept-language': 'de-CH, de;q=0.9, en;q=0.8' });
    expect(withRequestContext({ channel: 'web' }, req)).toEqual({
      channel: 'web',
      userAgent: CHROME,
      locale: 'de-CH',
    });
  });

  it("keeps the client's own values, and adds nothing for servers or odd headers", () => {
    const own = { userAgent: 'Own/1.0', locale: 'fr' };
    expect(withRequestContext(own, request(true, { 'user-agent': CHROME, 'accept-language': 'en' }))).toEqual(
      own,
    );
    const server = request(false, { 'user-agent': 'node', 'accept-language': 'en' });
    expect(withRequestContext({}, server)).toEqual({});
    expect(withRequestContext({}, request(true, { 'accept-language': '*' }))).toEqual({});
    expect(firstLanguage(undefined)).toBeNull();
    expect(firstLanguage('en-US;q=1,en')).toBe('en-US');
  });
});

describe.each(DIALECTS)('page context derived at ingest on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('stores path, search and campaign for an event that sends only page.url', async () => {
    const { app, organizationId, writeKey } = await appWithOrg(db.storage);
    const url = 'https://shop.example/pricing?utm_campaign=spring&utm_medium=email';
    const res = await app.request('/v1/batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        batch: [
          event({
            type: 'page',
            name: 'Pricing',
            properties: {},
            context: { channel: 'web', page: { url, referrer: '', title: 'Pricing' } },
          }),
          event({
            type: 'page',
            name: 'Home',
            properties: {},
            context: { channel: 'web', page: { url: 'https://shop.example/' } },
          }),
        ],
      }),
    });
    expect(res.status).toBe(200);
    const rows = await db.storage.listInteractions({ organizationId, limit: 10 });
    const contexts = rows.map((r) => r.metadata.context);
    expect(contexts).toContainEqual({
      channel: 'web',
      page: {
        url,
        referrer: '',
        title: 'Pricing',
        path: '/pricing',
        search: '?utm_campaign=spring&utm_medium=email',
      },
      campaign: { name: 'spring', medium: 'email' },
    });
    expect(contexts).toContainEqual({
      channel: 'web',
      page: { url: 'https://shop.example/', path: '/', search: '' },
    });
  });

  it("stores a browser's bare request (gzip, no headers but the browser's) with its user agent and locale", async () => {
    const { app, organizationId, writeKey } = await appWithOrg(db.storage);
    const body = JSON.stringify({
      batch: [
        event({ event: 'Clicked', context: { channel: 'web', page: { url: 'https://shop.example/a' } } }),
      ],
      sentAt: new Date().toISOString(),
      writeKey,
    });
    // What the SDK's fetch sends: no Authorization, no Content-Encoding (gzip is found by its magic bytes)
    const res = await app.request('/v1/batch', {
      method: 'POST',
      headers: {
        'content-type': 'text/plain;charset=UTF-8',
        origin: 'https://shop.example',
        'user-agent': CHROME,
        'accept-language': 'pt-BR,pt;q=0.9',
      },
      body: gzipSync(body),
    });
    expect(res.status).toBe(200);
    const [row] = await db.storage.listInteractions({ organizationId, limit: 10 });
    expect(row!.metadata.context).toMatchObject({ userAgent: CHROME, locale: 'pt-BR', page: { path: '/a' } });
    expect(row!.metadata.device).toMatchObject({ browser: expect.stringContaining('Chrome') });
  });
});
