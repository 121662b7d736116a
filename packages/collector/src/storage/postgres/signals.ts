import { uuidv7 } from '@heed/protocol';
import type pg from 'pg';
import type {
  AnomalyScope,
  NewAnomaly,
  NewPattern,
  PatternInput,
  SeriesBucket,
  SignalStore,
  StoredAnomaly,
  StoredPattern,
} from '../types.js';

interface PatternRow {
  id: string;
  customer_id: string;
  pattern_type: string;
  description: string;
  confidence: number;
  frequency: number;
  metadata: StoredPattern['metadata'];
  detected_at: Date;
}

const toPattern = (r: PatternRow): StoredPattern => ({
  id: r.id,
  customerId: r.customer_id,
  patternType: r.pattern_type,
  description: r.description,
  confidence: r.confidence,
  frequency: r.frequency,
  metadata: r.metadata,
  detectedAt: r.detected_at,
});

const ANOMALY_COLUMNS = `id, organization_id, dedupe_key, metric, granularity, method, direction, scope_type, scope_value,
  bucket_time, value, expected, score, severity, description, detected_at, notified_at`;

interface AnomalyRow {
  id: string;
  organization_id: string;
  dedupe_key: string;
  metric: string;
  granularity: string;
  method: string;
  direction: 'spike' | 'drop';
  scope_type: AnomalyScope;
  scope_value: string | null;
  bucket_time: Date;
  value: number;
  expected: number;
  score: number;
  severity: StoredAnomaly['severity'];
  description: string;
  detected_at: Date;
  notified_at: Date | null;
}

const toAnomaly = (r: AnomalyRow): StoredAnomaly => ({
  id: r.id,
  organizationId: r.organization_id,
  dedupeKey: r.dedupe_key,
  metric: r.metric,
  granularity: r.granularity,
  method: r.method,
  direction: r.direction,
  scopeType: r.scope_type,
  scopeValue: r.scope_value,
  bucketTime: r.bucket_time,
  value: r.value,
  expected: r.expected,
  score: r.score,
  severity: r.severity,
  description: r.description,
  detectedAt: r.detected_at,
  notifiedAt: r.notified_at,
});

export class PostgresSignals implements SignalStore {
  constructor(private readonly pool: pg.Pool) {}

  async patternInputs(organizationId: string, customerId: string, since: Date): Promise<PatternInput[]> {
    const { rows } = await this.pool.query<{
      timestamp: Date;
      channel: string;
      event_type: string;
      sentiment: PatternInput['sentiment'];
    }>(
      `SELECT "timestamp", channel, event_type, sentiment FROM customer_interactions
        WHERE organization_id = $1 AND customer_id = $2 AND "timestamp" >= $3
        ORDER BY "timestamp" LIMIT 10000`,
      [organizationId, customerId, since],
    );
    return rows.map((r) => ({
      timestamp: r.timestamp,
      channel: r.channel,
      eventType: r.event_type,
      sentiment: r.sentiment,
    }));
  }

  async replacePatterns(
    organizationId: string,
    customerId: string,
    patterns: NewPattern[],
  ): Promise<StoredPattern[]> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('DELETE FROM behavior_patterns WHERE organization_id = $1 AND customer_id = $2', [
        organizationId,
        customerId,
      ]);
      let rows: PatternRow[] = [];
      if (patterns.length > 0) {
        ({ rows } = await client.query<PatternRow>(
          `INSERT INTO behavior_patterns (id, organization_id, customer_id, pattern_type, description, confidence, frequency, metadata)
           SELECT p.id, $1, $2, p.pattern_type, p.description, p.confidence, p.frequency, p.metadata
             FROM unnest($3::uuid[], $4::text[], $5::text[], $6::double precision[], $7::int[], $8::jsonb[])
               AS p(id, pattern_type, description, confidence, frequency, metadata)
           RETURNING id, customer_id, pattern_type, description, confidence, frequency, metadata, detected_at`,
          [
            organizationId,
            customerId,
            patterns.map(() => uuidv7()),
            patterns.map((p) => p.patternType),
            patterns.map((p) => p.description),
            patterns.map((p) => p.confidence),
            patterns.map((p) => p.frequency),
            patterns.map((p) => JSON.stringify(p.metadata)),
          ],
        ));
      }
      await client.query('COMMIT');
      return rows.map(toPattern).sort((a, b) => b.confidence - a.confidence);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async listPatterns(organizationId: string, customerId: string): Promise<StoredPattern[]> {
    const { rows } = await this.pool.query<PatternRow>(
      `SELECT id, customer_id, pattern_type, description, confidence, frequency, metadata, detected_at
         FROM behavior_patterns WHERE organization_id = $1 AND customer_id = $2 ORDER BY confidence DESC, id`,
      [organizationId, customerId],
    );
    return rows.map(toPattern);
  }

  async organizationIds(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM organizations ORDER BY id');
    return rows.map((r) => r.id);
  }

  async series(
    organizationId: string,
    granularity: 'hour' | 'day',
    since: Date,
    scope: AnomalyScope,
  ): Promise<SeriesBucket[]> {
    const dim = scope === 'channel' ? 'i.channel' : scope === 'segment' ? 'c.segment' : 'NULL::text';
    const join = scope === 'segment' ? 'JOIN customers c ON c.id = i.customer_id' : '';
    const { rows } = await this.pool.query<{
      scope_value: string | null;
      bucket: Date;
      n: string;
      scored: string;
      total: number | null;
      negative: string;
    }>(
      `SELECT ${dim} AS scope_value, date_trunc($3, i."timestamp", 'UTC') AS bucket, count(*) AS n,
              count(i.sentiment_score) AS scored, sum(i.sentiment_score) AS total,
              count(*) FILTER (WHERE i.sentiment->>'label' = 'negative') AS negative
         FROM customer_interactions i ${join}
        WHERE i.organization_id = $1 AND i."timestamp" >= $2
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [organizationId, since, granularity],
    );
    return rows.map((r) => ({
      scopeValue: r.scope_value,
      bucket: r.bucket,
      count: Number(r.n),
      scored: Number(r.scored),
      sentimentSum: r.total ?? 0,
      negative: Number(r.negative),
    }));
  }

  async saveAnomalies(organizationId: string, anomalies: NewAnomaly[]): Promise<StoredAnomaly[]> {
    if (anomalies.length === 0) return [];
    const col = <K extends keyof NewAnomaly>(k: K) => anomalies.map((a) => a[k]);
    const { rows } = await this.pool.query<AnomalyRow>(
      `INSERT INTO anomalies (id, organization_id, dedupe_key, metric, granularity, method, direction, scope_type,
                              scope_value, bucket_time, value, expected, score, severity, description)
       SELECT a.id, $1, a.dedupe_key, a.metric, a.granularity, a.method, a.direction, a.scope_type, a.scope_value,
              a.bucket_time, a.value, a.expected, a.score, a.severity, a.description
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                     $10::timestamptz[], $11::double precision[], $12::double precision[], $13::double precision[],
                     $14::text[], $15::text[])
           AS a(id, dedupe_key, metric, granularity, method, direction, scope_type, scope_value, bucket_time, value,
                expected, score, severity, description)
       ON CONFLICT (organization_id, dedupe_key) DO NOTHING
       RETURNING ${ANOMALY_COLUMNS}`,
      [
        organizationId,
        anomalies.map(() => uuidv7()),
        col('dedupeKey'),
        col('metric'),
        col('granularity'),
        col('method'),
        col('direction'),
        col('scopeType'),
        col('scopeValue'),
        col('bucketTime'),
        col('value'),
        col('expected'),
        col('score'),
        col('severity'),
        col('description'),
      ],
    );
    return rows.map(toAnomaly);
  }

  async listAnomalies(
    organizationId: string,
    opts: { limit: number; since?: Date },
  ): Promise<StoredAnomaly[]> {
    const { rows } = await this.pool.query<AnomalyRow>(
      `SELECT ${ANOMALY_COLUMNS} FROM anomalies
        WHERE organization_id = $1 AND ($2::timestamptz IS NULL OR detected_at >= $2)
        ORDER BY detected_at DESC, id DESC LIMIT $3`,
      [organizationId, opts.since ?? null, opts.limit],
    );
    return rows.map(toAnomaly);
  }

  async markNotified(organizationId: string, ids: string[]): Promise<void> {
    await this.pool.query(
      'UPDATE anomalies SET notified_at = now() WHERE organization_id = $1 AND id = ANY($2::uuid[])',
      [organizationId, ids],
    );
  }
}
