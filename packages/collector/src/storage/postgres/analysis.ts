import type pg from 'pg';
import type { AnalysisResult, AnalysisStore, AnalyzedInteraction, PendingText } from '../types.js';

const score = (r: AnalysisResult) => r.sentiment.positive - r.sentiment.negative;

export class PostgresAnalysis implements AnalysisStore {
  constructor(private readonly pool: pg.Pool) {}

  async claim(limit: number, leaseMs: number): Promise<PendingText[]> {
    // SKIP LOCKED: concurrent workers (here or in `heed worker` processes) never claim the same rows.
    const { rows } = await this.pool.query<{
      id: string;
      organization_id: string;
      customer_id: string;
      content: string;
      analysis_attempts: number;
    }>(
      `UPDATE customer_interactions AS i
          SET analysis_claimed_until = now() + make_interval(secs => $2::double precision / 1000),
              analysis_attempts = i.analysis_attempts + 1
        WHERE i.id IN (
          SELECT id FROM customer_interactions
           WHERE processed_at IS NULL AND analysis_failed_at IS NULL AND content IS NOT NULL
             AND (analysis_claimed_until IS NULL OR analysis_claimed_until < now())
           ORDER BY received_at
           LIMIT $1
           FOR UPDATE SKIP LOCKED)
        RETURNING i.id, i.organization_id, i.customer_id, i.content, i.analysis_attempts`,
      [limit, leaseMs],
    );
    return rows.map((r) => ({
      id: r.id,
      organizationId: r.organization_id,
      customerId: r.customer_id,
      content: r.content,
      attempts: r.analysis_attempts,
    }));
  }

  async complete(results: AnalysisResult[]): Promise<AnalyzedInteraction[]> {
    if (results.length === 0) return [];
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{
        id: string;
        organization_id: string;
        customer_id: string;
        sentiment: AnalyzedInteraction['sentiment'];
        sentiment_confidence: number;
        sentiment_score: number;
        processed_at: Date;
      }>(
        `UPDATE customer_interactions AS i
            SET sentiment = v.sentiment, sentiment_confidence = v.confidence, sentiment_score = v.score,
                processed_at = now(), analysis_claimed_until = NULL, analysis_error = NULL
           FROM unnest($1::uuid[], $2::jsonb[], $3::double precision[], $4::double precision[])
             AS v(id, sentiment, confidence, score)
          WHERE i.id = v.id AND i.processed_at IS NULL
          RETURNING i.id, i.organization_id, i.customer_id, i.sentiment, i.sentiment_confidence,
                    i.sentiment_score, i.processed_at`,
        [
          results.map((r) => r.id),
          results.map((r) => JSON.stringify(r.sentiment)),
          results.map((r) => r.confidence),
          results.map((r) => Math.max(-1, Math.min(1, score(r)))),
        ],
      );
      const perCustomer = new Map<string, { n: number; sum: number }>();
      for (const r of rows) {
        const agg = perCustomer.get(r.customer_id) ?? { n: 0, sum: 0 };
        agg.n++;
        agg.sum += r.sentiment_score;
        perCustomer.set(r.customer_id, agg);
      }
      if (perCustomer.size > 0) {
        const ids = [...perCustomer.keys()].sort();
        // Lock the customers in id order first: an UPDATE ... FROM joins in whatever order its plan
        // takes, and two dispatchers scoring texts of the same customers would deadlock.
        await client.query('SELECT 1 FROM customers WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE', [
          ids,
        ]);
        // Running mean over the customer's scored interactions.
        await client.query(
          `UPDATE customers AS c
              SET average_sentiment = LEAST(1, GREATEST(-1,
                    (COALESCE(c.average_sentiment, 0) * c.sentiment_count + v.total) / (c.sentiment_count + v.n))),
                  sentiment_count = c.sentiment_count + v.n
             FROM unnest($1::uuid[], $2::int[], $3::double precision[]) AS v(id, n, total)
            WHERE c.id = v.id`,
          [ids, ids.map((id) => perCustomer.get(id)!.n), ids.map((id) => perCustomer.get(id)!.sum)],
        );
      }
      await client.query('COMMIT');
      return rows.map((r) => ({
        id: r.id,
        organizationId: r.organization_id,
        customerId: r.customer_id,
        sentiment: r.sentiment,
        confidence: r.sentiment_confidence,
        score: r.sentiment_score,
        processedAt: r.processed_at,
      }));
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async fail(
    ids: string[],
    reason: string,
    maxAttempts: number,
  ): Promise<{ failed: string[]; retry: string[] }> {
    if (ids.length === 0) return { failed: [], retry: [] };
    const { rows } = await this.pool.query<{ id: string; failed: boolean }>(
      `UPDATE customer_interactions
          SET analysis_error = left($2, 1000), analysis_claimed_until = NULL,
              analysis_failed_at = CASE WHEN analysis_attempts >= $3 THEN now() ELSE NULL END
        WHERE id = ANY($1::uuid[]) AND processed_at IS NULL
        RETURNING id, analysis_failed_at IS NOT NULL AS failed`,
      [ids, reason, maxAttempts],
    );
    return {
      failed: rows.filter((r) => r.failed).map((r) => r.id),
      retry: rows.filter((r) => !r.failed).map((r) => r.id),
    };
  }

  async release(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE customer_interactions
          SET analysis_claimed_until = NULL, analysis_attempts = GREATEST(analysis_attempts - 1, 0)
        WHERE id = ANY($1::uuid[]) AND processed_at IS NULL`,
      [ids],
    );
  }

  async backlog(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM customer_interactions
        WHERE processed_at IS NULL AND analysis_failed_at IS NULL AND content IS NOT NULL`,
    );
    return Number(rows[0]?.n ?? 0);
  }
}
