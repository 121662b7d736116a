import { uuidv7 } from '@heed/protocol';
import type Database from 'better-sqlite3';
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
  metadata: string;
  detected_at: number;
}

const toPattern = (r: PatternRow): StoredPattern => ({
  id: r.id,
  customerId: r.customer_id,
  patternType: r.pattern_type,
  description: r.description,
  confidence: r.confidence,
  frequency: r.frequency,
  metadata: JSON.parse(r.metadata),
  detectedAt: new Date(r.detected_at),
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
  bucket_time: number;
  value: number;
  expected: number;
  score: number;
  severity: StoredAnomaly['severity'];
  description: string;
  detected_at: number;
  notified_at: number | null;
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
  bucketTime: new Date(r.bucket_time),
  value: r.value,
  expected: r.expected,
  score: r.score,
  severity: r.severity,
  description: r.description,
  detectedAt: new Date(r.detected_at),
  notifiedAt: r.notified_at === null ? null : new Date(r.notified_at),
});

const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;

export class SqliteSignals implements SignalStore {
  constructor(private readonly db: Database.Database) {}

  async patternInputs(organizationId: string, customerId: string, since: Date): Promise<PatternInput[]> {
    const rows = this.db
      .prepare(
        `SELECT timestamp, channel, event_type, sentiment FROM customer_interactions
          WHERE organization_id = ? AND customer_id = ? AND timestamp >= ? ORDER BY timestamp LIMIT 10000`,
      )
      .all(organizationId, customerId, since.getTime()) as Array<{
      timestamp: number;
      channel: string;
      event_type: string;
      sentiment: string | null;
    }>;
    return rows.map((r) => ({
      timestamp: new Date(r.timestamp),
      channel: r.channel,
      eventType: r.event_type,
      sentiment: r.sentiment === null ? null : JSON.parse(r.sentiment),
    }));
  }

  async replacePatterns(
    organizationId: string,
    customerId: string,
    patterns: NewPattern[],
  ): Promise<StoredPattern[]> {
    const del = this.db.prepare(
      'DELETE FROM behavior_patterns WHERE organization_id = ? AND customer_id = ?',
    );
    const ins = this.db.prepare(
      `INSERT INTO behavior_patterns (id, organization_id, customer_id, pattern_type, description, confidence, frequency, metadata)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       RETURNING id, customer_id, pattern_type, description, confidence, frequency, metadata, detected_at`,
    );
    const rows = this.db.transaction(() => {
      del.run(organizationId, customerId);
      return patterns.map(
        (p) =>
          ins.get(
            uuidv7(),
            organizationId,
            customerId,
            p.patternType,
            p.description,
            p.confidence,
            p.frequency,
            JSON.stringify(p.metadata),
          ) as PatternRow,
      );
    })();
    return rows.map(toPattern).sort((a, b) => b.confidence - a.confidence);
  }

  async listPatterns(organizationId: string, customerId: string): Promise<StoredPattern[]> {
    const rows = this.db
      .prepare(
        `SELECT id, customer_id, pattern_type, description, confidence, frequency, metadata, detected_at
           FROM behavior_patterns WHERE organization_id = ? AND customer_id = ? ORDER BY confidence DESC, id`,
      )
      .all(organizationId, customerId) as PatternRow[];
    return rows.map(toPattern);
  }

  async organizationIds(): Promise<string[]> {
    return this.db.prepare('SELECT id FROM organizations ORDER BY id').pluck().all() as string[];
  }

  async series(
    organizationId: string,
    granularity: 'hour' | 'day',
    since: Date,
    scope: AnomalyScope,
  ): Promise<SeriesBucket[]> {
    const dim = scope === 'channel' ? 'i.channel' : scope === 'segment' ? 'c.segment' : 'NULL';
    const join = scope === 'segment' ? 'JOIN customers c ON c.id = i.customer_id' : '';
    const rows = this.db
      .prepare(
        `SELECT ${dim} AS scope_value, CAST(i.timestamp / @size AS INTEGER) * @size AS bucket, count(*) AS n,
                count(i.sentiment_score) AS scored, total(i.sentiment_score) AS total,
                sum(json_extract(i.sentiment, '$.label') = 'negative') AS negative
           FROM customer_interactions i ${join}
          WHERE i.organization_id = @org AND i.timestamp >= @since
          GROUP BY 1, 2 ORDER BY 1, 2`,
      )
      .all({ size: BUCKET_MS[granularity], org: organizationId, since: since.getTime() }) as Array<{
      scope_value: string | null;
      bucket: number;
      n: number;
      scored: number;
      total: number;
      negative: number | null;
    }>;
    return rows.map((r) => ({
      scopeValue: r.scope_value,
      bucket: new Date(r.bucket),
      count: r.n,
      scored: r.scored,
      sentimentSum: r.total,
      negative: r.negative ?? 0,
    }));
  }

  async saveAnomalies(organizationId: string, anomalies: NewAnomaly[]): Promise<StoredAnomaly[]> {
    const ins = this.db.prepare(
      `INSERT INTO anomalies (id, organization_id, dedupe_key, metric, granularity, method, direction, scope_type,
                              scope_value, bucket_time, value, expected, score, severity, description)
       VALUES (@id, @org, @dedupeKey, @metric, @granularity, @method, @direction, @scopeType, @scopeValue, @bucketTime,
               @value, @expected, @score, @severity, @description)
       ON CONFLICT (organization_id, dedupe_key) DO NOTHING
       RETURNING ${ANOMALY_COLUMNS}`,
    );
    const rows = this.db.transaction(() =>
      anomalies
        .map(
          (a) =>
            ins.get({
              ...a,
              id: uuidv7(),
              org: organizationId,
              bucketTime: a.bucketTime.getTime(),
            }) as AnomalyRow,
        )
        .filter(Boolean),
    )();
    return rows.map(toAnomaly);
  }

  async listAnomalies(
    organizationId: string,
    opts: { limit: number; since?: Date },
  ): Promise<StoredAnomaly[]> {
    const rows = this.db
      .prepare(
        `SELECT ${ANOMALY_COLUMNS} FROM anomalies
          WHERE organization_id = ? AND detected_at >= ? ORDER BY detected_at DESC, id DESC LIMIT ?`,
      )
      .all(organizationId, opts.since?.getTime() ?? 0, opts.limit) as AnomalyRow[];
    return rows.map(toAnomaly);
  }

  async markNotified(organizationId: string, ids: string[]): Promise<void> {
    const stmt = this.db.prepare('UPDATE anomalies SET notified_at = ? WHERE organization_id = ? AND id = ?');
    const now = Date.now();
    this.db.transaction(() => {
      for (const id of ids) stmt.run(now, organizationId, id);
    })();
  }
}
