import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSql, SqlBuilder, trendsSql } from '../src/storage/insights-sql.js';
import { rollupSpan } from '../src/storage/insights-store.js';
import type {
  InsightFilters,
  InsightSort,
  SortOrder,
  TrendGrouping,
  TrendSplit,
} from '../src/storage/insights-types.js';
import type { PostgresStorage } from '../src/storage/postgres/index.js';
import type { SqliteStorage } from '../src/storage/sqlite/index.js';
import type { Storage } from '../src/storage/types.js';
import { DIALECTS, freshDatabase, type TestDatabase } from './databases.js';
import { DAY, exec, HOUR, row, setSentiment } from './insights-seed.js';

/** Runs a query built by insights-sql.ts on the storage's driver. */
async function runBuilt(
  storage: Storage,
  build: (b: SqlBuilder) => string,
): Promise<Record<string, unknown>[]> {
  const b = new SqlBuilder(storage.dialect);
  const text = build(b);
  if (storage.dialect === 'postgres')
    return (await (storage as PostgresStorage).pool.query(text, b.values)).rows;
  return (storage as SqliteStorage).sqlite.prepare(text).all(b.params()) as Record<string, unknown>[];
}

interface Point {
  bucket: number;
  key: string | null;
  count: number;
  scored: number;
  mean: number | null;
  positive: number;
  negative: number;
  neutral: number;
}

const sortPoints = (p: Point[]) =>
  p.sort((a, b) => a.bucket - b.bucket || String(a.key).localeCompare(String(b.key)));

/** The trend straight from the raw rows (the query the rollup must always agree with). */
async function rawTrends(storage: Storage, f: InsightFilters, g: TrendGrouping, s: TrendSplit) {
  const rows = await runBuilt(storage, (b) => trendsSql(b, f, g, s));
  return sortPoints(
    rows.map((r) => ({
      bucket: Number(r.bucket),
      key: (r.key as string | null) ?? null,
      count: Number(r.n),
      scored: Number(r.scored),
      mean: Number(r.scored) > 0 ? Number(r.ssum) / Number(r.scored) : null,
      positive: Number(r.pos),
      negative: Number(r.neg),
      neutral: Number(r.neu),
    })),
  );
}

/** The trend as the API answers it (rollup for whole, clean days). */
async function apiTrends(storage: Storage, f: InsightFilters, g: TrendGrouping, s: TrendSplit) {
  const points = await storage.insights.trends(f, { groupBy: g, splitBy: s });
  return sortPoints(
    points.map((p) => ({
      bucket: p.bucket.getTime(),
      key: p.key,
      count: p.count,
      scored: p.scored,
      mean: p.meanSentiment,
      positive: p.positive,
      negative: p.negative,
      neutral: p.neutral,
    })),
  );
}

/** Counts exactly equal; means equal to 12 digits (sums of doubles in another order). */
function expectSame(actual: Point[], expected: Point[]) {
  const strip = (p: Point[]) => p.map(({ mean: _m, ...rest }) => rest);
  expect(strip(actual)).toEqual(strip(expected));
  actual.forEach((p, i) => {
    const want = expected[i]!.mean;
    if (want === null) expect(p.mean).toBeNull();
    else expect(p.mean).toBeCloseTo(want, 12);
  });
}

// A fixed past: midnight UTC, 2026-10-05 (a Monday), and the 40 days that follow.
const T0 = Date.UTC(2026, 9, 5);
const SEGMENTS = ['free', 'pro', 'enterprise', null] as const;
const CHANNELS = ['web', 'mobile', 'email', 'chat', 'phone'] as const;

describe.each(DIALECTS)('insights trends from the daily rollup on %s', (dialect) => {
  let db: TestDatabase;
  let storage: Storage;
  let org: string;
  let other: string;
  let n = 0;
  const scoredIds: string[] = [];

  /** Every split and grouping the rollup serves, and a few it does not, for these windows. */
  const windows = (): Array<[string, InsightFilters]> => [
    ['whole days', { organizationId: org, from: new Date(T0), to: new Date(T0 + 35 * DAY) }],
    [
      'partial days at both ends',
      {
        organizationId: org,
        from: new Date(T0 + 2 * DAY + 5 * HOUR + 1),
        to: new Date(T0 + 30 * DAY + 7 * HOUR),
      },
    ],
    ['open end', { organizationId: org, from: new Date(T0 + 3 * DAY - 1) }],
    [
      'less than a day',
      { organizationId: org, from: new Date(T0 + 4 * DAY + HOUR), to: new Date(T0 + 5 * DAY - HOUR) },
    ],
    [
      'mid-week start',
      { organizationId: org, from: new Date(T0 + 9 * DAY + 13 * HOUR), to: new Date(T0 + 33 * DAY) },
    ],
    [
      'channels',
      { organizationId: org, from: new Date(T0), to: new Date(T0 + 40 * DAY), channels: ['email', 'chat'] },
    ],
    [
      'segments',
      { organizationId: org, from: new Date(T0), to: new Date(T0 + 40 * DAY), segments: ['pro', 'free'] },
    ],
    ['event type (raw only)', { organizationId: org, from: new Date(T0), eventTypes: ['Review'] }],
    ['sentiment bound (raw only)', { organizationId: org, from: new Date(T0), minSentiment: 0 }],
  ];

  async function expectApiEqualsRaw() {
    for (const [, f] of windows())
      for (const g of ['day', 'week', 'hour'] as const)
        for (const s of ['none', 'channel', 'segment'] as const)
          expectSame(await apiTrends(storage, f, g, s), await rawTrends(storage, f, g, s));
  }

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    storage = db.storage;
    org = await storage.createOrganization('Rollup', 'rollup');
    other = await storage.createOrganization('Other', 'other');
    // 40 days of interactions, with some exactly on the day boundaries, over 12 customers.
    const rows = [];
    for (let d = 0; d < 40; d++) {
      for (const offset of [0, 3 * HOUR + 7, 12 * HOUR, 23 * HOUR + 59 * 60_000 + 59_999]) {
        n++;
        rows.push(
          row({
            messageId: `r-${n}`,
            externalId: `cust-${n % 12}`,
            segment: SEGMENTS[(n % 12) % 4] ?? null,
            timestamp: new Date(T0 + d * DAY + offset),
            channel: CHANNELS[n % 5],
            eventType: n % 3 === 0 ? 'Review' : 'Support Email',
          }),
        );
      }
    }
    await storage.ingest(org, rows);
    // The other organization: the same days, other numbers.
    await storage.ingest(
      other,
      rows.map((r, i) => ({ ...r, id: crypto.randomUUID(), messageId: `o-${i}`, channel: 'web' as const })),
    );
    for (let i = 1; i <= n; i += 2) {
      await setSentiment(storage, `r-${i}`, ((i % 7) - 3) / 3.3);
      scoredIds.push(`r-${i}`);
    }
  });
  afterAll(() => db.drop());

  it('answers from raw rows before the first refresh (every day is marked)', async () => {
    expect(await storage.rollups.backlog()).toBeGreaterThan(0);
    await expectApiEqualsRaw();
  });

  it('refreshes closed days, then answers the same from the rollup', async () => {
    let total = 0;
    for (let k = 0; k < 10; k++) {
      const done = await storage.rollups.refresh({ maxDays: 20 });
      total += done;
      if (done === 0) break;
    }
    expect(total).toBe(80); // 40 days in each organization
    expect(await storage.rollups.backlog()).toBe(0);
    await expectApiEqualsRaw();
  });

  it('reads the rollup for whole clean days (a tampered rollup shows), and raw rows for marked days', async () => {
    const f: InsightFilters = { organizationId: org, from: new Date(T0), to: new Date(T0 + 14 * DAY) };
    const before = await apiTrends(storage, f, 'week', 'none');
    // Day 1 holds r-5 (web, pro) to r-8; the other organization has the same rows, all on the web.
    const day1 = dialect === 'postgres' ? new Date(T0 + DAY) : T0 + DAY;
    const tamper = (delta: number, organizationId: string) =>
      exec(
        storage,
        `UPDATE interaction_daily_rollups SET n = n + ? WHERE organization_id = ? AND day = ? AND channel = 'web' AND segment = 'pro'`,
        [delta, organizationId, day1],
      );
    await tamper(1000, org);
    await tamper(1000, other);
    const tampered = await apiTrends(storage, f, 'week', 'none');
    expect(tampered[0]!.count).toBe(before[0]!.count + 1000);
    // A score written later marks its day: the day is read from raw rows again, then recomputed.
    await setSentiment(storage, 'r-6', 0.9); // day 1 (n = 5..8)
    expectSame(await apiTrends(storage, f, 'week', 'none'), await rawTrends(storage, f, 'week', 'none'));
    await storage.rollups.refresh();
    expectSame(await apiTrends(storage, f, 'week', 'none'), await rawTrends(storage, f, 'week', 'none'));
    // The other organization's tampered day was not marked by this organization's change.
    const otherF = { ...f, organizationId: other };
    expect((await apiTrends(storage, otherF, 'week', 'none'))[0]!.count).toBe(
      (await rawTrends(storage, otherF, 'week', 'none'))[0]!.count + 1000,
    );
    await tamper(-1000, other);
    expectSame(
      await apiTrends(storage, otherF, 'week', 'none'),
      await rawTrends(storage, otherF, 'week', 'none'),
    );
  });

  it('counts late events (timestamps in closed days) before and after the refresh', async () => {
    const late = [
      row({
        messageId: 'late-1',
        externalId: 'cust-1',
        timestamp: new Date(T0 + 10 * DAY + 5 * HOUR),
        channel: 'chat',
      }),
      row({
        messageId: 'late-2',
        externalId: 'late-new',
        segment: 'pro',
        timestamp: new Date(T0 + 20 * DAY),
      }),
      row({
        messageId: 'late-3',
        externalId: 'cust-2',
        timestamp: new Date(T0 + 21 * DAY - 1),
        channel: 'phone',
      }),
    ];
    await storage.ingest(org, late);
    await expectApiEqualsRaw();
    await storage.rollups.refresh();
    expect(await storage.rollups.backlog()).toBe(0);
    await expectApiEqualsRaw();
  });

  it('counts scores written after ingest, before and after the refresh', async () => {
    for (let i = 2; i <= n; i += 4) await setSentiment(storage, `r-${i}`, -0.75);
    await setSentiment(storage, 'late-2', 0.5);
    await expectApiEqualsRaw();
    await storage.rollups.refresh();
    await expectApiEqualsRaw();
  });

  it("follows a customer's segment change into the days already rolled up", async () => {
    // cust-3 has no segment (SEGMENTS[3]); an event naming one moves all its past interactions to it.
    await storage.ingest(org, [
      row({ messageId: 'seg-1', externalId: 'cust-3', segment: 'vip', timestamp: new Date(T0 + 39 * DAY) }),
    ]);
    const f: InsightFilters = { organizationId: org, from: new Date(T0), to: new Date(T0 + 40 * DAY) };
    const raw = await rawTrends(storage, f, 'week', 'segment');
    expect(raw.filter((p) => p.key === 'vip').length).toBeGreaterThan(2); // all its weeks moved
    expectSame(await apiTrends(storage, f, 'week', 'segment'), raw);
    await storage.rollups.refresh();
    expectSame(await apiTrends(storage, f, 'week', 'segment'), raw);
    await expectApiEqualsRaw();
  });

  it('leaves the open day marked and answers it from raw rows', async () => {
    const day = T0 + 38 * DAY;
    await storage.ingest(org, [row({ messageId: 'open-1', timestamp: new Date(day + HOUR) })]);
    // "now" is during that day: the day is not closed, so it stays marked.
    expect(await storage.rollups.refresh({ now: new Date(day + 2 * HOUR) })).toBe(0);
    expect(await storage.rollups.backlog()).toBe(1);
    await expectApiEqualsRaw();
    expect(await storage.rollups.refresh({ now: new Date(day + DAY) })).toBe(1);
    expect(await storage.rollups.backlog()).toBe(0);
    await expectApiEqualsRaw();
  });

  it('marks the days of deleted interactions', async () => {
    await exec(storage, `DELETE FROM customer_interactions WHERE message_id IN ('r-9', 'r-10', 'late-1')`);
    await expectApiEqualsRaw();
    await storage.rollups.refresh();
    await expectApiEqualsRaw();
  });

  it('forgets the rollup of truncated interactions (PostgreSQL TRUNCATE fires no delete trigger)', async () => {
    const f: InsightFilters = { organizationId: org, from: new Date(T0), to: new Date(T0 + 40 * DAY) };
    const scratch = await freshDatabase(dialect);
    try {
      const o = await scratch.storage.createOrganization('T', 't');
      await scratch.storage.ingest(o, [row({ messageId: 't-1', timestamp: new Date(T0 + 2 * DAY) })]);
      await scratch.storage.rollups.refresh();
      const g = { ...f, organizationId: o };
      expect((await apiTrends(scratch.storage, g, 'day', 'none')).length).toBe(1);
      await exec(
        scratch.storage,
        dialect === 'postgres' ? 'TRUNCATE customer_interactions' : 'DELETE FROM customer_interactions',
      );
      expect(await apiTrends(scratch.storage, g, 'day', 'none')).toEqual([]);
    } finally {
      await scratch.drop();
    }
  });

  it('keeps organizations apart in the rollup', async () => {
    const f = (organizationId: string): InsightFilters => ({
      organizationId,
      from: new Date(T0),
      to: new Date(T0 + 40 * DAY),
    });
    const mine = await apiTrends(storage, f(org), 'day', 'channel');
    const theirs = await apiTrends(storage, f(other), 'day', 'channel');
    expect(theirs.every((p) => p.key === 'web')).toBe(true);
    expect(mine.some((p) => p.key !== 'web')).toBe(true);
    expectSame(theirs, await rawTrends(storage, f(other), 'day', 'channel'));
    const unknown = await apiTrends(storage, f(crypto.randomUUID()), 'day', 'channel');
    expect(unknown).toEqual([]);
  });

  it('uses the rollup only for whole days and the filters it keeps', () => {
    const f = (over: Partial<InsightFilters>): InsightFilters => ({
      organizationId: org,
      from: new Date(T0 + HOUR),
      to: new Date(T0 + 3 * DAY + HOUR),
      ...over,
    });
    expect(rollupSpan(dialect, f({}), 'day')).toEqual({
      dayFrom: new Date(T0 + DAY),
      dayTo: new Date(T0 + 3 * DAY),
    });
    expect(rollupSpan(dialect, f({ from: new Date(T0) }), 'week')?.dayFrom).toEqual(new Date(T0));
    expect(rollupSpan(dialect, f({}), 'hour')).toBeNull();
    expect(rollupSpan(dialect, f({ to: new Date(T0 + 2 * DAY - 1) }), 'day')).toBeNull();
    expect(rollupSpan(dialect, f({ eventTypes: ['Review'] }), 'day')).toBeNull();
    expect(rollupSpan(dialect, f({ maxSentiment: 0 }), 'day')).toBeNull();
    expect(rollupSpan(dialect, f({ customerId: crypto.randomUUID() }), 'day')).toBeNull();
    expect(rollupSpan(dialect, f({ from: undefined }), 'day')).toBeNull();
  });
});

describe.each(DIALECTS)('insights pages sorted by channel on %s', (dialect) => {
  let db: TestDatabase;
  let org: string;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
    org = await db.storage.createOrganization('Pages', 'pages');
    const other = await db.storage.createOrganization('Other', 'other');
    const rows = Array.from({ length: 137 }, (_, i) =>
      row({
        messageId: `p-${i}`,
        externalId: `c-${i % 9}`,
        segment: i % 2 ? 'pro' : 'free',
        // Some timestamps repeat, so that ties are broken by id.
        timestamp: new Date(T0 + Math.floor(i / 3) * HOUR),
        channel: CHANNELS[(i * 7) % 5],
      }),
    );
    await db.storage.ingest(org, rows);
    await db.storage.ingest(
      other,
      rows.map((r) => ({ ...r, id: crypto.randomUUID() })),
    );
  });
  afterAll(() => db.drop());

  it('gives every page exactly as the sort of the whole window would', async () => {
    const filters: InsightFilters[] = [
      { organizationId: org, from: new Date(T0), to: new Date(T0 + 2 * DAY) },
      {
        organizationId: org,
        from: new Date(T0 + 5 * HOUR),
        to: new Date(T0 + 40 * HOUR),
        channels: ['email', 'web'],
      },
      { organizationId: org, from: new Date(T0), segments: ['pro'] },
    ];
    for (const f of filters) {
      for (const order of ['asc', 'desc'] as SortOrder[]) {
        const sortBy: InsightSort = 'channel';
        const all = await runBuilt(db.storage, (b) => listSql(b, f, sortBy, order, 1000, 0));
        const expected = all.map((r) => String(r.id));
        expect(expected.length).toBeGreaterThan(10);
        for (const [limit, offset] of [
          [10, 0],
          [10, 7],
          [13, 20],
          [50, 25],
          [7, expected.length - 3],
          [5, expected.length],
          [100, 0],
        ] as const) {
          const page = await db.storage.insights.list(f, { sortBy, order, limit, offset });
          expect(page.total).toBe(expected.length);
          expect(page.rows.map((r) => r.id)).toEqual(expected.slice(offset, offset + limit));
        }
      }
    }
  });
});

describe('rollup refresh on PostgreSQL waits for writers in flight', () => {
  let db: TestDatabase;
  afterAll(() => db?.drop());

  it('does not clear a day under an uncommitted change, and counts it once committed', async () => {
    db = await freshDatabase('postgres');
    const storage = db.storage;
    const pool = (storage as PostgresStorage).pool;
    const org = await storage.createOrganization('Locks', 'locks');
    await storage.ingest(org, [row({ messageId: 'a', externalId: 'x', timestamp: new Date(T0 + 3 * HOUR) })]);
    await storage.rollups.refresh();
    expect(await storage.rollups.backlog()).toBe(0);
    const customer = (await storage.getCustomerByExternalId(org, 'x'))!.id;
    // A committed late event marks day 2; an uncommitted one is written to day 0.
    await storage.ingest(org, [row({ messageId: 'b', externalId: 'x', timestamp: new Date(T0 + 2 * DAY) })]);
    const writer = await pool.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(
        `INSERT INTO customer_interactions (organization_id, customer_id, message_id, "timestamp", channel, event_type)
         VALUES ($1, $2, 'c', $3, 'chat', 'Chat Message')`,
        [org, customer, new Date(T0 + 5 * HOUR)],
      );
      let finished = false;
      const refreshing = storage.rollups.refresh().finally(() => {
        finished = true;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(finished).toBe(false); // waiting for the writer's organization lock
      await writer.query('COMMIT');
      expect(await refreshing).toBe(2); // day 0 (committed meanwhile) and day 2
    } finally {
      writer.release();
    }
    // A writer that stays in flight longer than the refresher waits (500 ms): the organization is left
    // marked for the next pass, and nothing is lost.
    const slow = await pool.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(
        `INSERT INTO customer_interactions (organization_id, customer_id, message_id, "timestamp", channel, event_type)
         VALUES ($1, $2, 'd', $3, 'web', 'Page View')`,
        [org, customer, new Date(T0 + 4 * DAY)],
      );
      await storage.ingest(org, [
        row({ messageId: 'e', externalId: 'x', timestamp: new Date(T0 + 5 * DAY) }),
      ]);
      // (that ingest committed while the slow writer is in flight: shared locks do not conflict)
      const started = Date.now();
      expect(await storage.rollups.refresh()).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(await storage.rollups.backlog()).toBe(1); // day 5; day 4 is not committed yet
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }
    expect(await storage.rollups.refresh()).toBe(2);
    const f: InsightFilters = { organizationId: org, from: new Date(T0), to: new Date(T0 + 7 * DAY) };
    const api = await apiTrends(storage, f, 'day', 'channel');
    expectSame(api, await rawTrends(storage, f, 'day', 'channel'));
    expect(api.reduce((sum, p) => sum + p.count, 0)).toBe(5);
    expect(await storage.rollups.backlog()).toBe(0);
  });
});
