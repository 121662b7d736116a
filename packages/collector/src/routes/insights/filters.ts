import { CHANNELS } from '@heed/protocol';
import { z } from '@hono/zod-openapi';
import { HeedError } from '../../errors.js';
import { decryptMetadata, type PiiCipher } from '../../security/pii.js';
import type { InsightFilters, InsightRow } from '../../storage/types.js';

/** Without `from`, queries cover the 30 days before `to` (or now): bounded work on large tables. */
export const DEFAULT_WINDOW_MS = 30 * 86_400_000;

const isoDate = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'must be an ISO 8601 date or date-time' });
const list = (re: RegExp, what: string) =>
  z.string().regex(re, { message: `must be a comma-separated list of ${what}` });
const CHANNEL = `(${CHANNELS.join('|')})`;
const sentiment = z.coerce.number().min(-1).max(1);

/** Query parameters shared by /api/insights*, search and export. */
export const filterQuery = {
  from: isoDate
    .optional()
    .openapi({ description: 'Inclusive start (ISO 8601). Default: 30 days before `to`.' }),
  to: isoDate.optional().openapi({ description: 'Exclusive end (ISO 8601). Default: open-ended.' }),
  channels: list(new RegExp(`^${CHANNEL}(,${CHANNEL})*$`), CHANNELS.join(', '))
    .optional()
    .openapi({ example: 'email,chat' }),
  minSentiment: sentiment
    .optional()
    .openapi({ description: 'Sentiment score (positive - negative) >= this' }),
  maxSentiment: sentiment.optional().openapi({ description: 'Sentiment score <= this' }),
  segments: list(/^[^,]+(,[^,]+)*$/, 'segments').optional(),
  eventType: list(/^[^,]+(,[^,]+)*$/, 'event types').optional(),
};
export const filterSchema = z.object(filterQuery);
export type FilterParams = z.infer<typeof filterSchema>;

export const pageQuery = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(50),
};

const split = (v: string | undefined) =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Query parameters to storage filters; `window: false` leaves an absent `from` open (export). */
export function toFilters(
  organizationId: string,
  q: FilterParams,
  opts: { window: boolean; now?: number } = { window: true },
): InsightFilters {
  const to = q.to ? new Date(q.to) : undefined;
  let from = q.from ? new Date(q.from) : undefined;
  if (!from && opts.window) from = new Date((to?.getTime() ?? opts.now ?? Date.now()) - DEFAULT_WINDOW_MS);
  if (from && to && from >= to) {
    throw new HeedError('validation_failed', 'The request is invalid', {
      details: [{ field: 'from', message: 'must be before `to`' }],
    });
  }
  if (q.minSentiment !== undefined && q.maxSentiment !== undefined && q.minSentiment > q.maxSentiment) {
    throw new HeedError('validation_failed', 'The request is invalid', {
      details: [{ field: 'minSentiment', message: 'must not exceed maxSentiment' }],
    });
  }
  return {
    organizationId,
    from,
    to,
    channels: split(q.channels),
    minSentiment: q.minSentiment,
    maxSentiment: q.maxSentiment,
    segments: split(q.segments),
    eventTypes: split(q.eventType),
  };
}

export function windowJson(f: InsightFilters) {
  return { from: f.from?.toISOString() ?? null, to: f.to?.toISOString() ?? null };
}

export const sentimentSchema = z
  .object({
    label: z.enum(['positive', 'negative', 'neutral']),
    positive: z.number(),
    negative: z.number(),
    neutral: z.number(),
  })
  .nullable();

export const interactionSchema = z
  .object({
    id: z.string(),
    customerId: z.string(),
    externalId: z.string(),
    segment: z.string().nullable(),
    messageId: z.string(),
    timestamp: z.string(),
    channel: z.enum(CHANNELS),
    eventType: z.string(),
    content: z.string().nullable(),
    sentiment: sentimentSchema,
    sentimentScore: z.number().nullable(),
    sentimentConfidence: z.number().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    processedAt: z.string().nullable(),
  })
  .openapi('Interaction');

export type InteractionJson = z.infer<typeof interactionSchema>;

export function interactionJson(r: InsightRow): InteractionJson {
  return {
    ...r,
    timestamp: r.timestamp.toISOString(),
    processedAt: r.processedAt?.toISOString() ?? null,
  };
}

/**
 * PII in metadata (traits) is stored encrypted; it is decrypted only on the way out, after the cache,
 * so cached answers (in memory or Redis) hold ciphertext only.
 */
export function revealInteractions<T extends { metadata: Record<string, unknown> }>(
  pii: PiiCipher,
  rows: T[],
): T[] {
  return rows.map((r) => ({ ...r, metadata: decryptMetadata(pii, r.metadata as InsightRow['metadata']) }));
}

export const paginationSchema = z
  .object({ page: z.number(), pageSize: z.number(), total: z.number(), totalPages: z.number() })
  .openapi('Pagination');

export function pagination(page: number, pageSize: number, total: number) {
  return { page, pageSize, total, totalPages: Math.ceil(total / pageSize) };
}

export const READ_ROLES = ['viewer', 'analyst', 'admin'] as const;
