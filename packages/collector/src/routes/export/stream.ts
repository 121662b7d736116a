import { stringify } from 'csv-stringify/sync';
import type { ExportCursor, InsightFilters, InsightRow, InsightStore } from '../../storage/types.js';

export type ExportFormat = 'ndjson' | 'csv';

export const EXPORT_COLUMNS = [
  'id',
  'timestamp',
  'external_id',
  'customer_id',
  'segment',
  'channel',
  'event_type',
  'content',
  'sentiment_label',
  'sentiment_score',
  'sentiment_confidence',
  'message_id',
  'processed_at',
  'metadata',
] as const;

function csvRecord(r: InsightRow): unknown[] {
  return [
    r.id,
    r.timestamp.toISOString(),
    r.externalId,
    r.customerId,
    r.segment,
    r.channel,
    r.eventType,
    r.content,
    r.sentiment?.label ?? null,
    r.sentimentScore,
    r.sentimentConfidence,
    r.messageId,
    r.processedAt?.toISOString() ?? null,
    JSON.stringify(r.metadata),
  ];
}

function ndjsonRecord(r: InsightRow): string {
  return `${JSON.stringify({
    ...r,
    timestamp: r.timestamp.toISOString(),
    processedAt: r.processedAt?.toISOString() ?? null,
  })}\n`;
}

/**
 * The filtered interactions as a byte stream, oldest first. Pull-based: one keyset page (at most
 * `batchSize` rows) is read from the database only when the consumer wants more, so memory stays
 * flat whatever the table size and however slow the client.
 */
export function exportStream(
  store: Pick<InsightStore, 'exportBatch'>,
  filters: InsightFilters,
  format: ExportFormat,
  batchSize = 1000,
  /** Applied to each row before it is written (PII decryption). */
  reveal: (row: InsightRow) => InsightRow = (r) => r,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor: ExportCursor | null = null;
  let first = true;
  let done = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (done) return;
        const page = await store.exportBatch(filters, cursor, batchSize);
        const rows = page.rows.map(reveal);
        let text: string;
        if (format === 'csv') {
          // csv-stringify: RFC 4180 quoting (commas, quotes, line breaks), and formula escaping so
          // that customer text starting with = + - @ is not run as a formula by spreadsheets.
          text = stringify(rows.map(csvRecord), {
            header: first,
            columns: [...EXPORT_COLUMNS],
            escape_formulas: true,
            cast: { number: (n) => String(n) },
          });
        } else {
          text = rows.map(ndjsonRecord).join('');
        }
        first = false;
        if (text) controller.enqueue(encoder.encode(text));
        cursor = page.cursor;
        if (page.rows.length < batchSize) {
          done = true;
          controller.close();
        }
      },
    },
    { highWaterMark: 1 },
  );
}
