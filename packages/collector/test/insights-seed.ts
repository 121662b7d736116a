import { uuidv7 } from '@heed/protocol';
import type { PostgresStorage } from '../src/storage/postgres/index.js';
import type { SqliteStorage } from '../src/storage/sqlite/index.js';
import type { InteractionInput, SentimentScores, Storage } from '../src/storage/types.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** An interaction row for `storage.ingest`; override any field. */
export function row(over: Partial<InteractionInput> = {}): InteractionInput {
  return {
    id: uuidv7(),
    messageId: `m-${uuidv7()}`,
    externalId: 'user-1',
    timestamp: new Date(Date.now() - HOUR),
    receivedAt: new Date(),
    channel: 'email',
    eventType: 'Support Email',
    content: 'hello there',
    metadata: { type: 'track', properties: {}, context: {} },
    segment: null,
    traits: null,
    ...over,
  };
}

/** Runs one statement on either dialect (`?` placeholders, rewritten to `$n` for PostgreSQL). */
export async function exec(storage: Storage, sql: string, params: unknown[] = []): Promise<unknown[]> {
  if (storage.dialect === 'postgres') {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    return (await (storage as PostgresStorage).pool.query(text, params)).rows;
  }
  const stmt = (storage as SqliteStorage).sqlite.prepare(sql);
  if (stmt.reader) return stmt.all(...params);
  stmt.run(...params);
  return [];
}

/** Writes sentiment the way the analysis dispatcher does (JSON scores, score, confidence, processed_at). */
export async function setSentiment(storage: Storage, messageId: string, score: number) {
  const label: SentimentScores['label'] = score > 0.2 ? 'positive' : score < -0.2 ? 'negative' : 'neutral';
  const positive = Math.max(score, 0);
  const negative = Math.max(-score, 0);
  const scores: SentimentScores = { label, positive, negative, neutral: 1 - positive - negative };
  const now = storage.dialect === 'postgres' ? new Date() : Date.now();
  await exec(
    storage,
    `UPDATE customer_interactions SET sentiment = ?, sentiment_score = ?, sentiment_confidence = ?, processed_at = ?
     WHERE message_id = ?`,
    [JSON.stringify(scores), score, 0.9, now, messageId],
  );
}

export async function customerId(storage: Storage, organizationId: string, externalId: string) {
  const c = await storage.getCustomerByExternalId(organizationId, externalId);
  if (!c) throw new Error(`no customer ${externalId}`);
  return c.id;
}
