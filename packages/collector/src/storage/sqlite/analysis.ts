import type Database from 'better-sqlite3';
import type { AnalysisResult, AnalysisStore, AnalyzedInteraction, PendingText } from '../types.js';

export class SqliteAnalysis implements AnalysisStore {
  constructor(private readonly db: Database.Database) {}

  async claim(limit: number, leaseMs: number): Promise<PendingText[]> {
    const now = Date.now();
    const rows = this.db
      .prepare(
        `UPDATE customer_interactions
            SET analysis_claimed_until = @until, analysis_attempts = analysis_attempts + 1
          WHERE id IN (
            SELECT id FROM customer_interactions
             WHERE processed_at IS NULL AND analysis_failed_at IS NULL AND content IS NOT NULL
               AND (analysis_claimed_until IS NULL OR analysis_claimed_until < @now)
             ORDER BY received_at
             LIMIT @limit)
          RETURNING id, organization_id, customer_id, content, analysis_attempts, received_at`,
      )
      .all({ until: now + leaseMs, now, limit }) as Array<{
      id: string;
      organization_id: string;
      customer_id: string;
      content: string;
      analysis_attempts: number;
      received_at: number;
    }>;
    return rows
      .sort((a, b) => a.received_at - b.received_at)
      .map((r) => ({
        id: r.id,
        organizationId: r.organization_id,
        customerId: r.customer_id,
        content: r.content,
        attempts: r.analysis_attempts,
      }));
  }

  async complete(results: AnalysisResult[]): Promise<AnalyzedInteraction[]> {
    const update = this.db.prepare(
      `UPDATE customer_interactions
          SET sentiment = @sentiment, sentiment_confidence = @confidence, sentiment_score = @score,
              processed_at = @now, analysis_claimed_until = NULL, analysis_error = NULL
        WHERE id = @id AND processed_at IS NULL
        RETURNING id, organization_id, customer_id`,
    );
    const customer = this.db.prepare(
      `UPDATE customers
          SET average_sentiment = min(1, max(-1,
                (COALESCE(average_sentiment, 0) * sentiment_count + @total) / (sentiment_count + @n))),
              sentiment_count = sentiment_count + @n
        WHERE id = @id`,
    );
    const run = this.db.transaction((items: AnalysisResult[]) => {
      const now = Date.now();
      const out: AnalyzedInteraction[] = [];
      const perCustomer = new Map<string, { n: number; total: number }>();
      for (const r of items) {
        const score = Math.max(-1, Math.min(1, r.sentiment.positive - r.sentiment.negative));
        const row = update.get({
          id: r.id,
          sentiment: JSON.stringify(r.sentiment),
          confidence: r.confidence,
          score,
          now,
        }) as { id: string; organization_id: string; customer_id: string } | undefined;
        if (!row) continue;
        const agg = perCustomer.get(row.customer_id) ?? { n: 0, total: 0 };
        agg.n++;
        agg.total += score;
        perCustomer.set(row.customer_id, agg);
        out.push({
          id: row.id,
          organizationId: row.organization_id,
          customerId: row.customer_id,
          sentiment: r.sentiment,
          confidence: r.confidence,
          score,
          processedAt: new Date(now),
        });
      }
      for (const [id, agg] of perCustomer) customer.run({ id, ...agg });
      return out;
    });
    return run.immediate(results);
  }

  async fail(
    ids: string[],
    reason: string,
    maxAttempts: number,
  ): Promise<{ failed: string[]; retry: string[] }> {
    const stmt = this.db.prepare(
      `UPDATE customer_interactions
          SET analysis_error = substr(@reason, 1, 1000), analysis_claimed_until = NULL,
              analysis_failed_at = CASE WHEN analysis_attempts >= @max THEN @now ELSE NULL END
        WHERE id = @id AND processed_at IS NULL
        RETURNING id, analysis_failed_at IS NOT NULL AS failed`,
    );
    const out = { failed: [] as string[], retry: [] as string[] };
    this.db.transaction(() => {
      for (const id of ids) {
        const row = stmt.get({ id, reason, max: maxAttempts, now: Date.now() }) as
          | { id: string; failed: number }
          | undefined;
        if (row) (row.failed ? out.failed : out.retry).push(row.id);
      }
    })();
    return out;
  }

  async release(ids: string[]): Promise<void> {
    const stmt = this.db.prepare(
      `UPDATE customer_interactions
          SET analysis_claimed_until = NULL, analysis_attempts = max(analysis_attempts - 1, 0)
        WHERE id = ? AND processed_at IS NULL`,
    );
    this.db.transaction(() => {
      for (const id of ids) stmt.run(id);
    })();
  }

  async backlog(): Promise<number> {
    const row = this.db
      .prepare(
        `SELECT count(*) AS n FROM customer_interactions
          WHERE processed_at IS NULL AND analysis_failed_at IS NULL AND content IS NOT NULL`,
      )
      .get() as { n: number };
    return row.n;
  }
}
