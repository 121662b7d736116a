import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  channelCountsSql,
  channelPageSql,
  countSql,
  exportSql,
  listSql,
  metricsSql,
  SqlBuilder,
  searchSql,
  trendsRollupSql,
  trendsSql,
} from '../src/storage/insights-sql.js';
import { rollupSpan } from '../src/storage/insights-store.js';
import type { InsightFilters } from '../src/storage/insights-types.js';
import type { PostgresStorage } from '../src/storage/postgres/index.js';
import { freshDatabase, type TestDatabase } from './databases.js';

/**
 * The frequent insights queries must not read customer_interactions sequentially: on a table of
 * millions of rows a Seq Scan is the difference between milliseconds and seconds.
 */
describe('insights query plans on PostgreSQL', () => {
  let db: TestDatabase;
  let pool: PostgresStorage['pool'];
  let org: string;
  let customer: string;
  const DAY = 86_400_000;

  beforeAll(async () => {
    db = await freshDatabase('postgres');
    pool = (db.storage as PostgresStorage).pool;
    org = await db.storage.createOrganization('Plans', 'plans');
    const other = await db.storage.createOrganization('Other', 'other');
    for (const [o, n] of [
      [org, 30_000],
      [other, 10_000],
    ] as const) {
      await pool.query(
        `INSERT INTO customers (organization_id, external_id, segment, first_seen_at, last_seen_at)
         SELECT $1, 'c' || g, (ARRAY['free', 'pro', 'enterprise'])[1 + g % 3], now() - interval '1 year', now()
         FROM generate_series(1, 300) g`,
        [o],
      );
      await pool.query(
        `INSERT INTO customer_interactions
           (organization_id, customer_id, message_id, "timestamp", channel, event_type, content, metadata, sentiment, sentiment_score)
         SELECT $1, ids[1 + g % array_length(ids, 1)], 'm' || g,
           now() - (g::double precision / $2) * interval '365 days',
           (ARRAY['web', 'mobile', 'email', 'chat', 'phone'])[1 + g % 5],
           (ARRAY['Page View', 'Support Email', 'Review', 'Chat Message'])[1 + g % 4],
           CASE WHEN g % 5 IN (2, 3) THEN (ARRAY['refund is late', 'love the export', 'app crashes on login'])[1 + g % 3] || ' #' || g END,
           '{}'::jsonb,
           CASE WHEN g % 3 <> 0 THEN jsonb_build_object('label', 'positive', 'positive', 0.7, 'negative', 0.1, 'neutral', 0.2) END,
           CASE WHEN g % 3 <> 0 THEN 0.6 END
         FROM generate_series(1, $2::int) g,
           (SELECT array_agg(id ORDER BY external_id) AS ids FROM customers WHERE organization_id = $1) c`,
        [o, n],
      );
    }
    while ((await db.storage.rollups.refresh({ maxDays: 1000 })) > 0);
    await pool.query('VACUUM ANALYZE');
    const { rows } = await pool.query('SELECT id FROM customers WHERE organization_id = $1 LIMIT 1', [org]);
    customer = rows[0].id;
  }, 120_000);
  afterAll(() => db.drop());

  const seqScans = async (build: (b: SqlBuilder) => string): Promise<string[]> => {
    const b = new SqlBuilder('postgres');
    const text = build(b);
    const { rows } = await pool.query(`EXPLAIN (FORMAT JSON) ${text}`, b.values);
    const found: string[] = [];
    const walk = (node: Record<string, unknown>) => {
      if (node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'customer_interactions')
        found.push(JSON.stringify(node).slice(0, 300));
      for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
    };
    walk(rows[0]['QUERY PLAN'][0].Plan);
    return found;
  };

  const window = (days: number): InsightFilters => ({
    organizationId: org,
    from: new Date(Date.now() - days * DAY),
  });
  const cases: Array<[string, (b: SqlBuilder) => string]> = [
    ['list, last 30 days', (b) => listSql(b, window(30), 'timestamp', 'desc', 50, 0)],
    ['count, last 30 days', (b) => countSql(b, window(30))],
    [
      'list by sentiment',
      (b) => listSql(b, { ...window(30), minSentiment: 0.5 }, 'sentiment', 'desc', 50, 0),
    ],
    [
      'list by channel',
      (b) => listSql(b, { ...window(30), channels: ['email', 'chat'] }, 'channel', 'asc', 50, 100),
    ],
    ['list by segment', (b) => listSql(b, { ...window(30), segments: ['pro'] }, 'timestamp', 'desc', 50, 0)],
    [
      'list by event type',
      (b) => listSql(b, { ...window(7), eventTypes: ['Review'] }, 'timestamp', 'desc', 50, 0),
    ],
    ['trends by channel', (b) => trendsSql(b, window(30), 'day', 'channel')],
    ['trends by segment', (b) => trendsSql(b, window(90), 'week', 'segment')],
    ['search', (b) => searchSql(b, window(30), ['refund'], 50, 0).rows],
    [
      'export page',
      (b) =>
        exportSql(
          b,
          { organizationId: org },
          { ts: new Date(Date.now() - 100 * DAY).toISOString(), id: customer },
          1000,
        ),
    ],
    [
      'customer history',
      (b) => listSql(b, { organizationId: org, customerId: customer }, 'timestamp', 'desc', 20, 0),
    ],
  ];
  for (const [name, build] of cases) {
    it(`${name}: no sequential scan of customer_interactions`, async () => {
      expect(await seqScans(build)).toEqual([]);
    });
  }

  it('metrics and search counts: no sequential scan of customer_interactions', async () => {
    const m = metricsSql('postgres', window(30), 10);
    for (const q of [m.totals, m.customers, m.byChannel, m.byLabel, m.topEvents]) {
      expect(
        await seqScans((b) => {
          b.values.push(...q.b.values);
          return q.text;
        }),
      ).toEqual([]);
    }
    const s = searchSql(new SqlBuilder('postgres'), window(30), ['refund'], 50, 0);
    expect(
      await seqScans((b) => {
        b.values.push(...s.countBuilder.values);
        return s.count;
      }),
    ).toEqual([]);
  });

  it('the daily rollup and the channel-sorted pages: no sequential scan either', async () => {
    const now = Date.now();
    const f: InsightFilters = { organizationId: org, from: new Date(now - 90 * DAY), to: new Date(now) };
    const span = rollupSpan('postgres', f, 'week')!;
    expect(await seqScans((b) => trendsRollupSql(b, f, 'week', 'segment', span))).toEqual([]);
    expect(await seqScans((b) => trendsRollupSql(b, f, 'day', 'channel', span))).toEqual([]);
    const w: InsightFilters = { organizationId: org, from: new Date(now - 30 * DAY), to: new Date(now) };
    expect(await seqScans((b) => channelCountsSql(b, w))).toEqual([]);
    const slices = [
      { channel: 'chat', offset: 1200, limit: 10 },
      { channel: 'email', offset: 0, limit: 40 },
    ];
    expect(await seqScans((b) => channelPageSql(b, w, 'asc', slices))).toEqual([]);
  });
});
