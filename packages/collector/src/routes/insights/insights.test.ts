import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithOrg, event, userWithToken } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';
import { DAY, HOUR, row, setSentiment } from '../../../test/insights-seed.js';

type App = Awaited<ReturnType<typeof appWithOrg>>['app'];
// biome-ignore lint/suspicious/noExplicitAny: JSON answers under test
type Json = Record<string, any>;

describe.each(DIALECTS)('insights API on %s', (dialect) => {
  let db: TestDatabase;
  let app: App;
  let orgA: string;
  let orgB: string;
  let headersA: Record<string, string>;
  let headersB: Record<string, string>;
  let writeKey: string;
  const now = Date.now();
  // Org A: 3 customers, 24 interactions over the last 6 days plus one 40 days old (outside the default window).
  const channels = ['email', 'chat', 'web'] as const;
  const users = ['alice', 'bob', 'carol'];
  const segments: Record<string, string | null> = { alice: 'pro', bob: 'free', carol: null };
  const scores: Array<number | null> = [0.8, -0.6, 0.1, null];

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    const a = await appWithOrg(db.storage, 'A');
    app = a.app;
    orgA = a.organizationId;
    writeKey = a.writeKey;
    orgB = await db.storage.createOrganization('B', `b-${Math.random()}`);
    headersA = (await userWithToken(db.storage, orgA, 'viewer')).headers;
    headersB = (await userWithToken(db.storage, orgB, 'viewer')).headers;
    const rows = [];
    for (let i = 0; i < 24; i++) {
      const user = users[i % 3]!;
      rows.push(
        row({
          messageId: `a-${i}`,
          externalId: user,
          segment: segments[user] ?? null,
          channel: channels[Math.floor(i / 3) % 3]!,
          eventType: i % 4 === 0 ? 'Review' : 'Support Email',
          // Pairs share a timestamp: the tie-breaker must still give stable pages.
          timestamp: new Date(now - Math.floor(i / 2) * 6 * HOUR - HOUR),
          content: i % 2 === 0 ? 'refund delayed again' : 'love the export feature',
        }),
      );
    }
    rows.push(row({ messageId: 'a-old', externalId: 'alice', timestamp: new Date(now - 40 * DAY) }));
    await db.storage.ingest(orgA, rows);
    for (let i = 0; i < 24; i++) {
      const s = scores[i % 4]!;
      if (s !== null) await setSentiment(db.storage, `a-${i}`, s);
    }
    await db.storage.ingest(orgB, [row({ messageId: 'b-0', externalId: 'zed', content: 'refund please' })]);
  });
  afterAll(() => db.drop());

  const get = async (path: string, headers = headersA) => {
    const res = await app.request(path, { headers });
    return { status: res.status, body: (await res.json()) as Json };
  };

  it('lists the last 30 days, newest first, with pagination', async () => {
    const { status, body } = await get('/api/insights?pageSize=10');
    expect(status).toBe(200);
    expect(body.pagination).toEqual({ page: 1, pageSize: 10, total: 24, totalPages: 3 });
    expect(body.data).toHaveLength(10);
    const ts = body.data.map((d: Json) => Date.parse(d.timestamp));
    expect(ts).toEqual([...ts].sort((x, y) => y - x));
    expect(body.data[0]).toMatchObject({ externalId: expect.any(String), channel: expect.any(String) });
    const all = await get(`/api/insights?from=${new Date(now - 60 * DAY).toISOString()}`);
    expect(all.body.pagination.total).toBe(25);
  });

  it('rejects a page size over 100, and bad filters, with 400', async () => {
    expect((await get('/api/insights?pageSize=101')).status).toBe(400);
    const bad = await get('/api/insights?channels=email,fax');
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].field).toBe('channels');
    expect((await get('/api/insights?minSentiment=2')).status).toBe(400);
    expect((await get('/api/insights?from=yesterday')).status).toBe(400);
    expect((await get('/api/insights?sortBy=content')).status).toBe(400);
    const reversed = await get(
      `/api/insights?from=${new Date(now).toISOString()}&to=${new Date(now - DAY).toISOString()}`,
    );
    expect(reversed.status).toBe(400);
  });

  it('needs an access token', async () => {
    expect((await get('/api/insights', {})).status).toBe(401);
  });

  it('pages through ties without repeating or skipping a row, identically every time', async () => {
    for (const sortBy of ['timestamp', 'sentiment', 'channel']) {
      const pages = async () => {
        const ids: string[] = [];
        for (let page = 1; page <= 4; page++) {
          const { body } = await get(`/api/insights?sortBy=${sortBy}&order=asc&pageSize=7&page=${page}`);
          ids.push(...body.data.map((d: Json) => d.id));
        }
        return ids;
      };
      const first = await pages();
      expect(new Set(first).size).toBe(24);
      expect(await pages()).toEqual(first);
    }
  });

  it('filters by channel, sentiment range, segment, event type and date range', async () => {
    const email = await get('/api/insights?channels=email&pageSize=100');
    expect(email.body.data.length).toBeGreaterThan(0);
    expect(email.body.data.every((d: Json) => d.channel === 'email')).toBe(true);

    const positive = await get('/api/insights?minSentiment=0.5&pageSize=100');
    expect(positive.body.pagination.total).toBe(6);
    expect(positive.body.data.every((d: Json) => d.sentimentScore >= 0.5)).toBe(true);
    expect(positive.body.data[0].sentiment.label).toBe('positive');

    const pro = await get('/api/insights?segments=pro&pageSize=100');
    expect(pro.body.pagination.total).toBe(8);
    expect(pro.body.data.every((d: Json) => d.externalId === 'alice' && d.segment === 'pro')).toBe(true);

    const reviews = await get('/api/insights?eventType=Review&pageSize=100');
    expect(reviews.body.pagination.total).toBe(6);

    const lastDay = await get(`/api/insights?from=${new Date(now - DAY).toISOString()}`);
    expect(lastDay.body.pagination.total).toBe(8); // i = 0..7: 0..3 x 6 hours + 1 hour ago
  });

  it('sorts by sentiment with unscored rows last', async () => {
    const { body } = await get('/api/insights?sortBy=sentiment&order=desc&pageSize=100');
    const s = body.data.map((d: Json) => d.sentimentScore);
    expect(s.slice(0, 6).every((x: number) => x === 0.8)).toBe(true);
    expect(s.slice(-6).every((x: number | null) => x === null)).toBe(true);
  });

  it('never shows another organization’s interactions', async () => {
    const { body } = await get('/api/insights', headersB);
    expect(body.pagination.total).toBe(1);
    expect(body.data[0].externalId).toBe('zed');
  });

  it('computes sentiment trends per day, split by channel and by segment', async () => {
    const { status, body } = await get('/api/insights/sentiment-trends?groupBy=day&splitBy=channel');
    expect(status).toBe(200);
    expect(body.series.map((s: Json) => s.key).sort()).toEqual(['chat', 'email', 'web']);
    const points = body.series.flatMap((s: Json) => s.points);
    expect(points.reduce((n: number, p: Json) => n + p.count, 0)).toBe(24);
    expect(points.every((p: Json) => p.bucket.endsWith('T00:00:00.000Z'))).toBe(true);
    expect(points.reduce((n: number, p: Json) => n + p.positive, 0)).toBe(6);

    const bySegment = await get('/api/insights/sentiment-trends?groupBy=week&splitBy=segment');
    const keys = bySegment.body.series.map((s: Json) => s.key);
    expect(keys).toEqual(expect.arrayContaining(['pro', 'free', null]));
    for (const p of bySegment.body.series.flatMap((s: Json) => s.points)) {
      expect(new Date(p.bucket).getUTCDay()).toBe(1); // weeks start on Monday
    }
    const hourly = await get('/api/insights/sentiment-trends?groupBy=hour');
    expect(hourly.body.series).toHaveLength(1);
    expect(hourly.body.series[0].points).toHaveLength(12);
  });

  it('computes metrics: volume, mean sentiment, distributions, customers, top event types', async () => {
    const { body } = await get('/api/insights/metrics');
    expect(body.volume).toBe(24);
    expect(body.scored).toBe(18);
    expect(body.meanSentiment).toBeCloseTo((0.8 - 0.6 + 0.1) / 3, 5);
    expect(body.activeCustomers).toBe(3);
    expect(body.byLabel).toEqual({ positive: 6, negative: 6, neutral: 6, unscored: 6 });
    expect(body.byChannel.reduce((n: number, c: Json) => n + c.count, 0)).toBe(24);
    expect(body.topEventTypes).toEqual([
      { eventType: 'Support Email', count: 18 },
      { eventType: 'Review', count: 6 },
    ]);
  });

  it('caches answers per organization and drops them when new interactions arrive', async () => {
    const first = await get('/api/insights/metrics?channels=chat');
    const again = await get('/api/insights/metrics?channels=chat');
    expect(again.body).toEqual(first.body);
    // Another organization with the same parameters gets its own answer.
    expect((await get('/api/insights/metrics?channels=chat', headersB)).body.volume).toBe(0);
    const res = await app.request('/v1/batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batch: [event({ userId: 'dave', context: { channel: 'chat' } })] }),
    });
    expect(res.status).toBe(200);
    const after = await get('/api/insights/metrics?channels=chat');
    expect(after.body.volume).toBe(first.body.volume + 1);
  });
});
