import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithOrg, userWithToken } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';
import { HOUR, row } from '../../../test/insights-seed.js';
import { searchTerms } from './index.js';

type Hit = { content: string; rank: number; externalId: string };
type Answer = { data: Hit[]; pagination: { total: number; totalPages: number } };

describe.each(DIALECTS)('GET /api/interactions/search on %s', (dialect) => {
  let db: TestDatabase;
  let app: Awaited<ReturnType<typeof appWithOrg>>['app'];
  let headers: Record<string, string>;
  let headersB: Record<string, string>;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    const a = await appWithOrg(db.storage, 'S');
    app = a.app;
    headers = (await userWithToken(db.storage, a.organizationId, 'analyst')).headers;
    const orgB = await db.storage.createOrganization('B', `b-${Math.random()}`);
    headersB = (await userWithToken(db.storage, orgB, 'viewer')).headers;
    const texts = [
      'My refund is late. Refund refund refund, where is my refund?',
      'Still waiting for the refund of my order',
      'The new export is fantastic',
      'Refunding customers takes too long at your company',
      'Nothing to see here',
    ];
    await db.storage.ingest(
      a.organizationId,
      texts.map((content, i) =>
        row({
          content,
          externalId: `u${i}`,
          channel: 'chat',
          timestamp: new Date(Date.now() - (i + 1) * HOUR),
        }),
      ),
    );
    // Filler rows so that the ranking and the count are exercised beyond one page.
    await db.storage.ingest(
      a.organizationId,
      Array.from({ length: 30 }, (_, i) =>
        row({ content: `refund question number ${i}`, externalId: 'bulk' }),
      ),
    );
    await db.storage.ingest(orgB, [row({ content: 'refund for org B', externalId: 'other' })]);
  });
  afterAll(() => db.drop());

  const search = async (qs: string, h = headers) => {
    const res = await app.request(`/api/interactions/search?${qs}`, { headers: h });
    return { status: res.status, body: (await res.json()) as Answer };
  };

  it('finds stemmed matches, best first, paginated', async () => {
    const { status, body } = await search('q=refunds&pageSize=10');
    expect(status).toBe(200);
    // 2 "refund" texts + "Refunding" (same stem) + 30 fillers; never the other organization's.
    expect(body.pagination).toMatchObject({ total: 33, totalPages: 4 });
    expect(body.data).toHaveLength(10);
    expect(body.data[0]?.content).toContain('Refund refund refund');
    const ranks = body.data.map((d) => d.rank);
    expect(ranks).toEqual([...ranks].sort((x, y) => y - x));
    const page4 = await search('q=refunds&pageSize=10&page=4');
    expect(page4.body.data).toHaveLength(3);
    expect(page4.body.data.map((d) => d.content)).toContain(
      'Refunding customers takes too long at your company',
    );
  });

  it('requires every word, and ignores query operators', async () => {
    const { body } = await search(`q=${encodeURIComponent('waiting refund')}`);
    expect(body.data.map((d) => d.content)).toEqual(['Still waiting for the refund of my order']);
    const hostile = await search(`q=${encodeURIComponent('export" * ( -- \' ;')}`);
    expect(hostile.status).toBe(200);
    expect(hostile.body.data.map((d) => d.content)).toEqual(['The new export is fantastic']);
  });

  it('combines with the insights filters and stays within the organization', async () => {
    const { body } = await search('q=refund&channels=chat');
    expect(body.pagination.total).toBe(3);
    const b = await search('q=refund', headersB);
    expect(b.body.data.map((d) => d.externalId)).toEqual(['other']);
  });

  it('answers 400 for an empty or word-less query', async () => {
    expect((await search('q=')).status).toBe(400);
    expect((await search('q=%22%2A%29')).status).toBe(400);
    expect(searchTerms('a "b" c*')).toEqual(['a', 'b', 'c']);
  });
});
