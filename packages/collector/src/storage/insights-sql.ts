import type { JsonObject } from '@heed/protocol';
import type {
  ExportCursor,
  InsightFilters,
  InsightRow,
  InsightSort,
  SortOrder,
  TrendGrouping,
  TrendSplit,
} from './insights-types.js';
import type { Dialect } from './types.js';

/**
 * SQL text for the insights queries, shared by both dialects. Every user value is a bound parameter
 * (`$n` on PostgreSQL, `@pn` on SQLite); identifiers and keywords come from closed lists only.
 */
export class SqlBuilder {
  readonly values: unknown[] = [];
  constructor(readonly dialect: Dialect) {}

  /** Binds a value and returns its placeholder. */
  p(value: unknown): string {
    this.values.push(value);
    const n = this.values.length;
    return this.dialect === 'postgres' ? `$${n}` : `@p${n}`;
  }

  /** Binds a time (timestamptz on PostgreSQL, epoch ms on SQLite). */
  time(d: Date): string {
    return this.dialect === 'postgres' ? `${this.p(d)}::timestamptz` : this.p(d.getTime());
  }

  /** `expr IN (...)` over bound values. */
  in(expr: string, list: string[]): string {
    if (this.dialect === 'postgres') return `${expr} = ANY(${this.p(list)}::text[])`;
    return `${expr} IN (${list.map((v) => this.p(v)).join(', ')})`;
  }

  /** Parameters in the driver's shape: an array for pg, an object for better-sqlite3. */
  params(): unknown[] | Record<string, unknown> {
    if (this.dialect === 'postgres') return this.values;
    return Object.fromEntries(this.values.map((v, i) => [`p${i + 1}`, v]));
  }
}

/** WHERE conditions for the filters, on `ci` (customer_interactions). */
export function filterSql(b: SqlBuilder, f: InsightFilters): string {
  const org = b.p(f.organizationId);
  const where = [`ci.organization_id = ${b.dialect === 'postgres' ? `${org}::uuid` : org}`];
  if (f.from) where.push(`ci."timestamp" >= ${b.time(f.from)}`);
  if (f.to) where.push(`ci."timestamp" < ${b.time(f.to)}`);
  if (f.channels?.length) where.push(b.in('ci.channel', f.channels));
  if (f.eventTypes?.length) where.push(b.in('ci.event_type', f.eventTypes));
  if (f.minSentiment !== undefined) where.push(`ci.sentiment_score >= ${b.p(f.minSentiment)}`);
  if (f.maxSentiment !== undefined) where.push(`ci.sentiment_score <= ${b.p(f.maxSentiment)}`);
  if (f.customerId) where.push(`ci.customer_id = ${b.p(f.customerId)}`);
  if (f.segments?.length) {
    const segOrg = b.p(f.organizationId);
    where.push(
      `ci.customer_id IN (SELECT sc.id FROM customers sc WHERE sc.organization_id = ${segOrg} AND ${b.in('sc.segment', f.segments)})`,
    );
  }
  return where.join(' AND ');
}

export const ROW_COLUMNS = `ci.id, ci.customer_id, c.external_id, c.segment, ci.message_id, ci."timestamp",
  ci.channel, ci.event_type, ci.content, ci.sentiment, ci.sentiment_score, ci.sentiment_confidence,
  ci.metadata, ci.processed_at`;

const SORT_COLUMN: Record<InsightSort, string> = {
  timestamp: '',
  sentiment: 'ci.sentiment_score',
  channel: 'ci.channel',
};

/** ORDER BY from the whitelists, always ending on (timestamp, id) so that pages are stable. */
export function orderSql(sortBy: InsightSort, order: SortOrder): string {
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  const lead = SORT_COLUMN[sortBy];
  const keys = lead ? [`${lead} ${dir}${sortBy === 'sentiment' ? ' NULLS LAST' : ''}`] : [];
  keys.push(`ci."timestamp" ${dir}`, `ci.id ${dir}`);
  return keys.join(', ');
}

export function listSql(
  b: SqlBuilder,
  f: InsightFilters,
  sortBy: InsightSort,
  order_: SortOrder,
  limit: number,
  offset: number,
): string {
  const where = filterSql(b, f);
  const order = orderSql(sortBy, order_);
  // Sort and page on the index columns alone, then read the page's rows (a "deferred join"): the
  // sort never touches the heap or the customers table.
  return `WITH page AS (
      SELECT ci.id FROM customer_interactions ci WHERE ${where}
      ORDER BY ${order} LIMIT ${b.p(limit)} OFFSET ${b.p(offset)}
    )
    SELECT ${ROW_COLUMNS} FROM page
    JOIN customer_interactions ci ON ci.id = page.id
    JOIN customers c ON c.id = ci.customer_id
    ORDER BY ${order}`;
}

/** Interactions per channel under the filters (for pages sorted by channel). */
export function channelCountsSql(b: SqlBuilder, f: InsightFilters): string {
  return `SELECT ci.channel AS key, count(*) AS n FROM customer_interactions ci WHERE ${filterSql(b, f)} GROUP BY ci.channel`;
}

/** A slice of one channel's rows, in (timestamp, id) order, for a page sorted by channel. */
export interface ChannelSlice {
  channel: string;
  offset: number;
  limit: number;
}

/**
 * A page sorted by channel, given which slice of which channels it covers (from channelCountsSql):
 * each slice is a range scan of the (organization_id, channel, timestamp, id) index that skips
 * `offset` entries, instead of sorting every row of the window to find the page.
 */
export function channelPageSql(
  b: SqlBuilder,
  f: InsightFilters,
  order_: SortOrder,
  slices: ChannelSlice[],
): string {
  const where = filterSql(b, f);
  const dir = order_ === 'asc' ? 'ASC' : 'DESC';
  const parts = slices.map(
    (s) => `SELECT id FROM (SELECT ci.id FROM customer_interactions ci
        WHERE ${where} AND ci.channel = ${b.p(s.channel)}
        ORDER BY ci."timestamp" ${dir}, ci.id ${dir} LIMIT ${b.p(s.limit)} OFFSET ${b.p(s.offset)}) s`,
  );
  const order = orderSql('channel', order_);
  return `WITH page AS (
      ${parts.join('\n      UNION ALL\n      ')}
    )
    SELECT ${ROW_COLUMNS} FROM page
    JOIN customer_interactions ci ON ci.id = page.id
    JOIN customers c ON c.id = ci.customer_id
    ORDER BY ${order}`;
}

export function countSql(b: SqlBuilder, f: InsightFilters): string {
  return `SELECT count(*) AS n FROM customer_interactions ci WHERE ${filterSql(b, f)}`;
}

const DAY = 86_400_000;
const BUCKET_MS: Record<TrendGrouping, number> = { hour: 3_600_000, day: DAY, week: 7 * DAY };

/** The start of the UTC hour, day or ISO week (Monday) of `column` (by default `ci.timestamp`). */
export function bucketSql(dialect: Dialect, groupBy: TrendGrouping, column = 'ci."timestamp"'): string {
  // Immutable (UTC wall clock), so that statistics on it (migration 0004) tell the planner how few
  // groups there are; epoch milliseconds, as on SQLite.
  if (dialect === 'postgres')
    return `date_part('epoch', date_trunc('${groupBy}', ${column} AT TIME ZONE 'UTC')) * 1000`;
  const size = BUCKET_MS[groupBy];
  // 1970-01-05 (4 days after the epoch) was a Monday.
  const offset = groupBy === 'week' ? 4 * DAY : 0;
  return `((${column} - ${offset}) / ${size}) * ${size} + ${offset}`;
}

const sums = () => `count(*) AS n, count(ci.sentiment_score) AS scored,
      sum(ci.sentiment_score) AS ssum,
      sum(CASE WHEN ci.sentiment_label = 'positive' THEN 1 ELSE 0 END) AS pos,
      sum(CASE WHEN ci.sentiment_label = 'negative' THEN 1 ELSE 0 END) AS neg,
      sum(CASE WHEN ci.sentiment_label = 'neutral' THEN 1 ELSE 0 END) AS neu`;

export function trendsSql(b: SqlBuilder, f: InsightFilters, groupBy: TrendGrouping, split: TrendSplit) {
  const where = filterSql(b, f);
  const bucket = bucketSql(b.dialect, groupBy);
  if (split === 'segment') {
    // Aggregate per customer first, then join the (few) groups to their customers' segments.
    return `SELECT d.bucket, c.segment AS key, sum(d.n) AS n, sum(d.scored) AS scored, sum(d.ssum) AS ssum,
        sum(d.pos) AS pos, sum(d.neg) AS neg, sum(d.neu) AS neu
      FROM (SELECT ${bucket} AS bucket, ci.customer_id, ${sums()}
        FROM customer_interactions ci WHERE ${where} GROUP BY 1, 2) d
      JOIN customers c ON c.id = d.customer_id
      GROUP BY 1, 2 ORDER BY 1, 2`;
  }
  const key = split === 'channel' ? 'ci.channel' : 'NULL';
  return `SELECT ${bucket} AS bucket, ${key} AS key, ${sums()}
    FROM customer_interactions ci
    WHERE ${where}
    GROUP BY 1, 2 ORDER BY 1, 2`;
}

/** Whole UTC days of a trend query that the daily rollup may answer: [dayFrom, dayTo). */
export interface RollupSpan {
  dayFrom: Date;
  dayTo: Date;
}

/**
 * The same answer as trendsSql, with the whole days of [dayFrom, dayTo) read from the daily rollup
 * (migration 0008) unless marked dirty, and the rest from raw rows: the partial days at both ends
 * (`from` to dayFrom, dayTo to `to`) and the marked days. Only for filters the rollup keeps (time,
 * channels, segments) and day or week buckets.
 */
export function trendsRollupSql(
  b: SqlBuilder,
  f: InsightFilters,
  groupBy: Exclude<TrendGrouping, 'hour'>,
  split: TrendSplit,
  span: RollupSpan,
): string {
  const pg = b.dialect === 'postgres';
  const org = pg ? `${b.p(f.organizationId)}::uuid` : b.p(f.organizationId);
  const dayFrom = b.time(span.dayFrom);
  const dayTo = b.time(span.dayTo);
  const nextDay = pg ? `m.day + interval '1 day'` : `m.day + ${DAY}`;
  const rollupWhere = [`r.organization_id = ${org}`, `r.day >= ${dayFrom}`, `r.day < ${dayTo}`];
  if (f.channels?.length) rollupWhere.push(b.in('r.channel', f.channels));
  if (f.segments?.length) rollupWhere.push(b.in('r.segment', f.segments));
  const rawColumns = `ci."timestamp", ci.channel, ci.customer_id, ci.sentiment_score, ci.sentiment_label`;
  const raw = [
    // The partial days at both ends; `to` may be open.
    `SELECT ${rawColumns} FROM customer_interactions ci WHERE ${filterSql(b, { ...f, to: span.dayFrom })}`,
    `SELECT ${rawColumns} FROM customer_interactions ci WHERE ${filterSql(b, { ...f, from: span.dayTo })}`,
    // Whole days whose rollup is out of date.
    `SELECT ${rawColumns} FROM marked m
       JOIN customer_interactions ci ON ci.organization_id = ${org} AND ci."timestamp" >= m.day AND ci."timestamp" < ${nextDay}
      WHERE ${filterSql(b, f)}`,
  ];
  const rawKey = split === 'segment' ? 'c.segment' : split === 'channel' ? 'ci.channel' : 'NULL';
  const rollupKey = split === 'segment' ? 'r.segment' : split === 'channel' ? 'r.channel' : 'NULL';
  return `WITH marked AS (
      SELECT day FROM interaction_rollup_dirty
       WHERE organization_id = ${org} AND day >= ${dayFrom} AND day < ${dayTo}
    ), raw AS (
      ${raw.join('\n      UNION ALL\n      ')}
    )
    SELECT bucket, key, sum(n) AS n, sum(scored) AS scored, sum(ssum) AS ssum,
      sum(pos) AS pos, sum(neg) AS neg, sum(neu) AS neu
    FROM (
      SELECT ${bucketSql(b.dialect, groupBy, 'r.day')} AS bucket, ${rollupKey} AS key,
        r.n, r.scored, r.ssum, r.pos, r.neg, r.neu
      FROM interaction_daily_rollups r
      WHERE ${rollupWhere.join(' AND ')} AND r.day NOT IN (SELECT day FROM marked)
      UNION ALL
      SELECT ${bucketSql(b.dialect, groupBy)} AS bucket, ${rawKey} AS key, ${sums()}
      FROM raw ci${split === 'segment' ? ' JOIN customers c ON c.id = ci.customer_id' : ''}
      GROUP BY 1, 2
    ) parts
    GROUP BY 1, 2 ORDER BY 1, 2`;
}

/** The four aggregates of the metrics endpoint. */
export function metricsSql(dialect: Dialect, f: InsightFilters, top: number) {
  const q = (build: (b: SqlBuilder, where: string) => string) => {
    const b = new SqlBuilder(dialect);
    const text = build(b, filterSql(b, f));
    return { text, b };
  };
  return {
    totals: q(
      (_b, w) => `SELECT count(*) AS n, count(ci.sentiment_score) AS scored, avg(ci.sentiment_score) AS mean
        FROM customer_interactions ci WHERE ${w}`,
    ),
    customers: q(
      (_b, w) =>
        `SELECT count(*) AS n FROM (SELECT DISTINCT ci.customer_id FROM customer_interactions ci WHERE ${w}) d`,
    ),
    byChannel: q(
      (_b, w) => `SELECT ci.channel AS key, count(*) AS n, avg(ci.sentiment_score) AS mean
        FROM customer_interactions ci WHERE ${w} GROUP BY ci.channel ORDER BY n DESC, key`,
    ),
    byLabel: q(
      (_b, w) => `SELECT ci.sentiment_label AS key, count(*) AS n
        FROM customer_interactions ci WHERE ${w} GROUP BY ci.sentiment_label`,
    ),
    topEvents: q(
      (b, w) => `SELECT ci.event_type AS key, count(*) AS n
        FROM customer_interactions ci WHERE ${w} GROUP BY ci.event_type ORDER BY n DESC, key LIMIT ${b.p(top)}`,
    ),
  };
}

export function searchSql(
  b: SqlBuilder,
  f: InsightFilters,
  terms: string[],
  limit: number,
  offset: number,
): { rows: string; count: string; countBuilder: SqlBuilder } {
  const cb = new SqlBuilder(b.dialect);
  if (b.dialect === 'postgres') {
    // Each term a prefix-free lexeme, all required; to_tsquery parses the joined plain words.
    const tsq = (x: SqlBuilder) => `plainto_tsquery('english', ${x.p(terms.join(' '))})`;
    const query = tsq(b);
    const where = filterSql(b, f);
    // Rank and count in one pass over the matches (count(*) OVER ()), then read the page's rows.
    const rows = `WITH hits AS (
        SELECT ci.id, ts_rank(ci.content_tsv, q.query) AS rank, ci."timestamp", count(*) OVER () AS total
        FROM customer_interactions ci, (SELECT ${query} AS query) q
        WHERE ci.content_tsv @@ q.query AND ${where}
        ORDER BY rank DESC, ci."timestamp" DESC, ci.id DESC LIMIT ${b.p(limit)} OFFSET ${b.p(offset)}
      )
      SELECT ${ROW_COLUMNS}, hits.rank, hits.total FROM hits
      JOIN customer_interactions ci ON ci.id = hits.id
      JOIN customers c ON c.id = ci.customer_id
      ORDER BY hits.rank DESC, ci."timestamp" DESC, ci.id DESC`;
    const cq = tsq(cb);
    const count = `SELECT count(*) AS n FROM customer_interactions ci
      WHERE ci.content_tsv @@ ${cq} AND ${filterSql(cb, f)}`;
    return { rows, count, countBuilder: cb };
  }
  const match = (x: SqlBuilder) => x.p(terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' '));
  const m = match(b);
  const where = filterSql(b, f);
  // bm25() is lower for better matches; the API reports a score where higher is better.
  const rows = `SELECT ${ROW_COLUMNS}, -bm25(customer_interactions_fts) AS rank
    FROM customer_interactions_fts
    JOIN customer_interactions ci ON ci.rowid = customer_interactions_fts.rowid
    JOIN customers c ON c.id = ci.customer_id
    WHERE customer_interactions_fts MATCH ${m} AND ${where}
    ORDER BY rank DESC, ci."timestamp" DESC, ci.id DESC LIMIT ${b.p(limit)} OFFSET ${b.p(offset)}`;
  const cm = match(cb);
  const count = `SELECT count(*) AS n FROM customer_interactions_fts
    JOIN customer_interactions ci ON ci.rowid = customer_interactions_fts.rowid
    WHERE customer_interactions_fts MATCH ${cm} AND ${filterSql(cb, f)}`;
  return { rows, count, countBuilder: cb };
}

export function exportSql(b: SqlBuilder, f: InsightFilters, after: ExportCursor | null, limit: number) {
  const where = [filterSql(b, f)];
  const cursorTs =
    b.dialect === 'postgres' ? `ci."timestamp"::text AS cursor_ts` : `ci."timestamp" AS cursor_ts`;
  if (after) {
    const ts = b.dialect === 'postgres' ? `${b.p(after.ts)}::timestamptz` : b.p(after.ts);
    const id = b.dialect === 'postgres' ? `${b.p(after.id)}::uuid` : b.p(after.id);
    where.push(`(ci."timestamp", ci.id) > (${ts}, ${id})`);
  }
  return `SELECT ${ROW_COLUMNS}, ${cursorTs} FROM customer_interactions ci
    JOIN customers c ON c.id = ci.customer_id
    WHERE ${where.join(' AND ')} ORDER BY ci."timestamp" ASC, ci.id ASC LIMIT ${b.p(limit)}`;
}

type Raw = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
const date = (v: unknown): Date => (v instanceof Date ? v : new Date(num(v)));

export { date as toDate, num as toNumber, numOrNull as toNumberOrNull };

/** A result row (either driver) as an InsightRow. */
export function toInsightRow(r: Raw): InsightRow {
  return {
    id: String(r.id),
    customerId: String(r.customer_id),
    externalId: String(r.external_id),
    segment: (r.segment as string | null) ?? null,
    messageId: String(r.message_id),
    timestamp: date(r.timestamp),
    channel: r.channel as InsightRow['channel'],
    eventType: String(r.event_type),
    content: (r.content as string | null) ?? null,
    sentiment: (json(r.sentiment) as InsightRow['sentiment']) ?? null,
    sentimentScore: numOrNull(r.sentiment_score),
    sentimentConfidence: numOrNull(r.sentiment_confidence),
    metadata: (json(r.metadata) as JsonObject) ?? {},
    processedAt: r.processed_at === null || r.processed_at === undefined ? null : date(r.processed_at),
  };
}
