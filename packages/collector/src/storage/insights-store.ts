import type { JsonObject } from '@heed/protocol';
import {
  bucketSql,
  type ChannelSlice,
  channelCountsSql,
  channelPageSql,
  countSql,
  exportSql,
  listSql,
  metricsSql,
  SqlBuilder,
  searchSql,
  toDate,
  toInsightRow,
  toNumber,
  toNumberOrNull,
  trendsRollupSql,
  trendsSql,
} from './insights-sql.js';
import type {
  BehaviorPattern,
  CustomerListQuery,
  CustomerStore,
  ExportCursor,
  InsightFilters,
  InsightMetrics,
  InsightStore,
  Page,
  SentimentPoint,
  TrendGrouping,
} from './insights-types.js';
import { ROLLUP_DAY_MS } from './rollups.js';
import type { Customer, Dialect } from './types.js';

type Raw = Record<string, unknown>;
/** Runs one statement with the builder's parameters; each dialect supplies its driver call. */
export type Run = (text: string, params: unknown[] | Record<string, unknown>) => Promise<Raw[]>;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The whole UTC days of a trend query that the daily rollup can answer, or null when it cannot (hour
 * buckets, filters the rollup does not keep, or no whole day in the window).
 */
export function rollupSpan(
  dialect: Dialect,
  f: InsightFilters,
  groupBy: TrendGrouping,
  now = Date.now(),
): { dayFrom: Date; dayTo: Date } | null {
  if (groupBy === 'hour' || !f.from) return null;
  if (f.eventTypes?.length || f.customerId) return null;
  if (f.minSentiment !== undefined || f.maxSentiment !== undefined) return null;
  const dayFrom = Math.ceil(f.from.getTime() / ROLLUP_DAY_MS) * ROLLUP_DAY_MS;
  const dayTo = Math.floor((f.to?.getTime() ?? now) / ROLLUP_DAY_MS) * ROLLUP_DAY_MS;
  // SQLite's integer division truncates towards zero: its days before 1970 are not whole days.
  if (dayFrom >= dayTo || (dialect === 'sqlite' && dayFrom < 0)) return null;
  return { dayFrom: new Date(dayFrom), dayTo: new Date(dayTo) };
}

/** InsightStore over either dialect: the SQL comes from insights-sql.ts, the driver from `run`. */
export class SqlInsights implements InsightStore {
  constructor(
    private readonly dialect: Dialect,
    private readonly run: Run,
  ) {}

  private async all(build: (b: SqlBuilder) => string): Promise<Raw[]> {
    const b = new SqlBuilder(this.dialect);
    const text = build(b);
    return this.run(text, b.params());
  }

  async list(f: InsightFilters, o: Parameters<InsightStore['list']>[1]): ReturnType<InsightStore['list']> {
    if (f.customerId && !UUID_RE.test(f.customerId)) return { rows: [], total: 0 };
    if (o.sortBy === 'channel') return this.listByChannel(f, o);
    const [rows, count] = await Promise.all([
      this.all((b) => listSql(b, f, o.sortBy, o.order, o.limit, o.offset)),
      this.all((b) => countSql(b, f)),
    ]);
    return { rows: rows.map(toInsightRow), total: toNumber(count[0]?.n ?? 0) };
  }

  /**
   * Sorted by channel: the rows per channel first, then only the page's slice of each channel it
   * spans, read in index order (no sort of the whole window, however deep the page).
   */
  private async listByChannel(
    f: InsightFilters,
    o: Parameters<InsightStore['list']>[1],
  ): ReturnType<InsightStore['list']> {
    const counts = await this.all((b) => channelCountsSql(b, f));
    const perChannel = counts
      .map((r) => ({ channel: String(r.key), n: toNumber(r.n) }))
      .sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
    if (o.order === 'desc') perChannel.reverse();
    const total = perChannel.reduce((sum, c) => sum + c.n, 0);
    const slices: ChannelSlice[] = [];
    let skip = o.offset;
    let want = o.limit;
    for (const c of perChannel) {
      if (want <= 0) break;
      if (skip >= c.n) {
        skip -= c.n;
        continue;
      }
      const take = Math.min(want, c.n - skip);
      slices.push({ channel: c.channel, offset: skip, limit: take });
      want -= take;
      skip = 0;
    }
    if (slices.length === 0) return { rows: [], total };
    const rows = await this.all((b) => channelPageSql(b, f, o.order, slices));
    return { rows: rows.map(toInsightRow), total };
  }

  async trends(f: InsightFilters, o: Parameters<InsightStore['trends']>[1]) {
    const span = rollupSpan(this.dialect, f, o.groupBy);
    const rows = await this.all((b) =>
      span && o.groupBy !== 'hour'
        ? trendsRollupSql(b, f, o.groupBy, o.splitBy, span)
        : trendsSql(b, f, o.groupBy, o.splitBy),
    );
    return rows.map((r) => ({
      bucket: toDate(r.bucket),
      key: (r.key as string | null) ?? null,
      count: toNumber(r.n),
      scored: toNumber(r.scored),
      meanSentiment: toNumber(r.scored) > 0 ? toNumber(r.ssum) / toNumber(r.scored) : null,
      positive: toNumber(r.pos ?? 0),
      negative: toNumber(r.neg ?? 0),
      neutral: toNumber(r.neu ?? 0),
    }));
  }

  async metrics(f: InsightFilters, o: { topEventTypes: number }): Promise<InsightMetrics> {
    const q = metricsSql(this.dialect, f, o.topEventTypes);
    const exec = (x: { text: string; b: SqlBuilder }) => this.run(x.text, x.b.params());
    const [totals, customers, byChannel, byLabel, topEvents] = await Promise.all([
      exec(q.totals),
      exec(q.customers),
      exec(q.byChannel),
      exec(q.byLabel),
      exec(q.topEvents),
    ]);
    const t = totals[0] ?? {};
    const labels = { positive: 0, negative: 0, neutral: 0, unscored: 0 };
    for (const r of byLabel) {
      const key = r.key as string | null;
      if (key === 'positive' || key === 'negative' || key === 'neutral') labels[key] += toNumber(r.n);
      else labels.unscored += toNumber(r.n);
    }
    return {
      volume: toNumber(t.n ?? 0),
      scored: toNumber(t.scored ?? 0),
      meanSentiment: toNumberOrNull(t.mean),
      activeCustomers: toNumber(customers[0]?.n ?? 0),
      byChannel: byChannel.map((r) => ({
        channel: String(r.key),
        count: toNumber(r.n),
        meanSentiment: toNumberOrNull(r.mean),
      })),
      byLabel: labels,
      topEventTypes: topEvents.map((r) => ({ eventType: String(r.key), count: toNumber(r.n) })),
    };
  }

  async search(f: InsightFilters, terms: string[], o: { limit: number; offset: number }) {
    const b = new SqlBuilder(this.dialect);
    const sql = searchSql(b, f, terms, o.limit, o.offset);
    const rows = await this.run(sql.rows, b.params());
    // PostgreSQL counts the matches in the same query; otherwise (or past the last page) count apart.
    const total =
      rows[0]?.total !== undefined
        ? toNumber(rows[0].total)
        : toNumber((await this.run(sql.count, sql.countBuilder.params()))[0]?.n ?? 0);
    return { rows: rows.map((r) => ({ ...toInsightRow(r), rank: toNumber(r.rank) })), total };
  }

  async exportBatch(f: InsightFilters, after: ExportCursor | null, limit: number) {
    const rows = await this.all((b) => exportSql(b, f, after, limit));
    const last = rows.at(-1);
    return {
      rows: rows.map(toInsightRow),
      cursor: last ? { ts: last.cursor_ts as string | number, id: String(last.id) } : null,
    };
  }
}

function toCustomer(r: Raw): Customer {
  return {
    id: String(r.id),
    organizationId: String(r.organization_id),
    externalId: String(r.external_id),
    segment: (r.segment as string | null) ?? null,
    traits: (typeof r.traits === 'string' ? JSON.parse(r.traits) : r.traits) as JsonObject,
    firstSeenAt: toDate(r.first_seen_at),
    lastSeenAt: toDate(r.last_seen_at),
    interactionCount: toNumber(r.interaction_count),
    averageSentiment: toNumberOrNull(r.average_sentiment),
  };
}

const CUSTOMER_COLUMNS = `id, organization_id, external_id, segment, traits, first_seen_at, last_seen_at,
  interaction_count, average_sentiment`;

/** CustomerStore over either dialect. */
export class SqlCustomers implements CustomerStore {
  constructor(
    private readonly dialect: Dialect,
    private readonly run: Run,
  ) {}

  async list(q: CustomerListQuery): Promise<Page<Customer>> {
    const where = (b: SqlBuilder) => {
      const w = [`organization_id = ${b.p(q.organizationId)}`];
      if (q.segments?.length) w.push(b.in('segment', q.segments));
      if (q.search) {
        // A prefix match that uses the (organization_id, external_id) index on both dialects.
        const escaped = q.search.replace(/[\\%_]/g, (ch) => `\\${ch}`);
        if (this.dialect === 'postgres') w.push(`external_id LIKE ${b.p(`${escaped}%`)}`);
        else w.push(`external_id >= ${b.p(q.search)} AND external_id < ${b.p(`${q.search}\uffff`)}`);
      }
      return w.join(' AND ');
    };
    const rows = (b: SqlBuilder) =>
      `SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE ${where(b)}
       ORDER BY last_seen_at DESC, id DESC LIMIT ${b.p(q.limit)} OFFSET ${b.p(q.offset)}`;
    const count = (b: SqlBuilder) => `SELECT count(*) AS n FROM customers WHERE ${where(b)}`;
    const rb = new SqlBuilder(this.dialect);
    const cb = new SqlBuilder(this.dialect);
    const rowsText = rows(rb);
    const countText = count(cb);
    const [r, c] = await Promise.all([this.run(rowsText, rb.params()), this.run(countText, cb.params())]);
    return { rows: r.map(toCustomer), total: toNumber(c[0]?.n ?? 0) };
  }

  async get(organizationId: string, id: string): Promise<Customer | null> {
    if (!UUID_RE.test(id)) return null;
    const b = new SqlBuilder(this.dialect);
    const text = `SELECT ${CUSTOMER_COLUMNS} FROM customers WHERE organization_id = ${b.p(organizationId)} AND id = ${b.p(id)}`;
    const [row] = await this.run(text, b.params());
    return row ? toCustomer(row) : null;
  }

  async patterns(organizationId: string, customerId: string): Promise<BehaviorPattern[]> {
    const b = new SqlBuilder(this.dialect);
    const text = `SELECT id, pattern_type, description, confidence, frequency, metadata, detected_at
      FROM behavior_patterns WHERE organization_id = ${b.p(organizationId)} AND customer_id = ${b.p(customerId)}
      ORDER BY confidence DESC, detected_at DESC, id LIMIT 100`;
    const rows = await this.run(text, b.params());
    return rows.map((r) => ({
      id: String(r.id),
      patternType: String(r.pattern_type),
      description: String(r.description),
      confidence: toNumber(r.confidence),
      frequency: toNumber(r.frequency),
      metadata: (typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata) as JsonObject,
      detectedAt: toDate(r.detected_at),
    }));
  }

  async sentimentOverTime(
    organizationId: string,
    customerId: string,
    since: Date,
    groupBy: TrendGrouping,
  ): Promise<SentimentPoint[]> {
    const b = new SqlBuilder(this.dialect);
    const text = `SELECT ${bucketSql(this.dialect, groupBy)} AS bucket, count(*) AS n, avg(ci.sentiment_score) AS mean
      FROM customer_interactions ci
      WHERE ci.customer_id = ${b.p(customerId)} AND ci.organization_id = ${b.p(organizationId)}
        AND ci."timestamp" >= ${b.time(since)}
      GROUP BY 1 ORDER BY 1`;
    const rows = await this.run(text, b.params());
    return rows.map((r) => ({
      bucket: toDate(r.bucket),
      count: toNumber(r.n),
      meanSentiment: toNumberOrNull(r.mean),
    }));
  }
}
