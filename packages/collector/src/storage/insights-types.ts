import type { Channel, JsonObject } from '@heed/protocol';
import type { Customer, SentimentScores } from './types.js';

/** Filters shared by the insights queries and the export. Time range is half-open: [from, to). */
export interface InsightFilters {
  organizationId: string;
  from?: Date | undefined;
  to?: Date | undefined;
  channels?: string[] | undefined;
  /** Inclusive bounds on sentiment_score (positive - negative); unscored rows never match a bound. */
  minSentiment?: number | undefined;
  maxSentiment?: number | undefined;
  /** Customer segments. */
  segments?: string[] | undefined;
  eventTypes?: string[] | undefined;
  customerId?: string | undefined;
}

export type InsightSort = 'timestamp' | 'sentiment' | 'channel';
export type SortOrder = 'asc' | 'desc';
export type TrendGrouping = 'hour' | 'day' | 'week';
export type TrendSplit = 'none' | 'channel' | 'segment';

/** An interaction with its customer's external id and segment. */
export interface InsightRow {
  id: string;
  customerId: string;
  externalId: string;
  segment: string | null;
  messageId: string;
  timestamp: Date;
  channel: Channel;
  eventType: string;
  content: string | null;
  sentiment: SentimentScores | null;
  sentimentScore: number | null;
  sentimentConfidence: number | null;
  metadata: JsonObject;
  processedAt: Date | null;
}

export interface Page<T> {
  rows: T[];
  total: number;
}

export interface TrendPoint {
  bucket: Date;
  /** Channel or segment (null: customers without a segment); null when not split. */
  key: string | null;
  count: number;
  /** Interactions with a sentiment score. */
  scored: number;
  meanSentiment: number | null;
  positive: number;
  negative: number;
  neutral: number;
}

export interface InsightMetrics {
  volume: number;
  scored: number;
  meanSentiment: number | null;
  activeCustomers: number;
  byChannel: Array<{ channel: string; count: number; meanSentiment: number | null }>;
  byLabel: { positive: number; negative: number; neutral: number; unscored: number };
  topEventTypes: Array<{ eventType: string; count: number }>;
}

/** Where an export batch ends: the next one starts strictly after it (timestamp, then id). */
export interface ExportCursor {
  /** Dialect-specific exact timestamp (PostgreSQL text with microseconds; SQLite epoch ms). */
  ts: string | number;
  id: string;
}

export interface BehaviorPattern {
  id: string;
  patternType: string;
  description: string;
  confidence: number;
  frequency: number;
  metadata: JsonObject;
  detectedAt: Date;
}

export interface SentimentPoint {
  bucket: Date;
  count: number;
  meanSentiment: number | null;
}

/** Read-only queries behind the insights API. Every query is scoped by organization. */
export interface InsightStore {
  list(
    f: InsightFilters,
    opts: { sortBy: InsightSort; order: SortOrder; limit: number; offset: number },
  ): Promise<Page<InsightRow>>;
  trends(f: InsightFilters, opts: { groupBy: TrendGrouping; splitBy: TrendSplit }): Promise<TrendPoint[]>;
  metrics(f: InsightFilters, opts: { topEventTypes: number }): Promise<InsightMetrics>;
  /** Full-text search, best match first. `terms` are plain words (already tokenised). */
  search(
    f: InsightFilters,
    terms: string[],
    opts: { limit: number; offset: number },
  ): Promise<Page<InsightRow & { rank: number }>>;
  /** One keyset page in (timestamp, id) ascending order, for streaming exports. */
  exportBatch(
    f: InsightFilters,
    after: ExportCursor | null,
    limit: number,
  ): Promise<{ rows: InsightRow[]; cursor: ExportCursor | null }>;
}

export interface CustomerListQuery {
  organizationId: string;
  segments?: string[] | undefined;
  /** External id prefix. */
  search?: string | undefined;
  limit: number;
  offset: number;
}

/** Customers for the insights API. Every query is scoped by organization. */
export interface CustomerStore {
  list(q: CustomerListQuery): Promise<Page<Customer>>;
  get(organizationId: string, id: string): Promise<Customer | null>;
  patterns(organizationId: string, customerId: string): Promise<BehaviorPattern[]>;
  sentimentOverTime(
    organizationId: string,
    customerId: string,
    since: Date,
    groupBy: TrendGrouping,
  ): Promise<SentimentPoint[]>;
}
