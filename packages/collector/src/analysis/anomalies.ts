import { type Anomaly, detectSeriesAnomalies, detectWeekOverWeek, type SeriesPoint } from '@heed/ml-core';
import type { KeyValueCache } from '../cache/kv.js';
import type { Logger } from '../logger.js';
import type { Hub } from '../realtime/hub.js';
import type { AnomalyScope, NewAnomaly, SeriesBucket, Storage, StoredAnomaly } from '../storage/types.js';
import { sendWebhook, type WebhookOptions } from './webhook.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SCOPES: AnomalyScope[] = ['organization', 'channel', 'segment'];
/** The same alert (metric, scope, direction) is not sent again within this time. */
export const ALERT_REPEAT_MS = HOUR;

export interface AnomalyDetectorOptions {
  storage: Storage;
  hub: Hub;
  logger: Logger;
  cache: KeyValueCache;
  webhook?: Omit<WebhookOptions, 'logger'> | undefined;
}

interface ScopedSeries {
  scopeType: AnomalyScope;
  scopeValue: string | null;
  buckets: SeriesBucket[];
}

/**
 * Scheduled anomaly detection: hourly and daily series of volume and mean sentiment per organization,
 * channel and segment, plus week-over-week rules. New findings are stored once, published on the live
 * stream and sent to the alert webhook (the same alert at most once an hour).
 */
export class AnomalyDetector {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly o: AnomalyDetectorOptions) {}

  start(intervalMs: number): void {
    const tick = () => {
      this.running ??= this.runOnce()
        .catch((err) => this.o.logger.warn({ err: (err as Error).message }, 'anomaly detection failed'))
        .finally(() => {
          this.running = undefined;
        });
    };
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every organization; returns the anomalies found for the first time. */
  async runOnce(now = new Date()): Promise<StoredAnomaly[]> {
    const found: StoredAnomaly[] = [];
    for (const org of await this.o.storage.signals.organizationIds()) {
      const candidates = await this.detect(org, now);
      const fresh = await this.o.storage.signals.saveAnomalies(org, candidates);
      for (const a of fresh) this.o.hub.publish(org, { type: 'anomaly.detected', data: a });
      await this.notify(org, fresh);
      found.push(...fresh);
    }
    return found;
  }

  private async detect(organizationId: string, now: Date): Promise<NewAnomaly[]> {
    const out: NewAnomaly[] = [];
    const hourEnd = Math.floor(now.getTime() / HOUR) * HOUR; // the current hour is incomplete: excluded
    const dayEnd = Math.floor(now.getTime() / DAY) * DAY;
    for (const scope of SCOPES) {
      const hourly = await this.o.storage.signals.series(
        organizationId,
        'hour',
        new Date(hourEnd - 8 * 7 * DAY),
        scope,
      );
      for (const s of groupByScope(scope, hourly)) {
        const points = fill(s.buckets, hourEnd - 8 * 7 * DAY, hourEnd, HOUR);
        out.push(...this.series(s, points, 'hour', 2));
      }
      const daily = await this.o.storage.signals.series(
        organizationId,
        'day',
        new Date(dayEnd - 12 * 7 * DAY),
        scope,
      );
      for (const s of groupByScope(scope, daily)) {
        const points = fill(s.buckets, dayEnd - 12 * 7 * DAY, dayEnd, DAY);
        out.push(...this.series(s, points, 'day', 1));
        out.push(...weekOverWeek(s, points, dayEnd));
      }
    }
    return out;
  }

  private series(
    s: ScopedSeries,
    points: FilledPoint[],
    granularity: 'hour' | 'day',
    last: number,
  ): NewAnomaly[] {
    const scope = describeScope(s);
    const volume: SeriesPoint[] = points.map((p) => ({ time: p.time, value: p.count }));
    const sentiment: SeriesPoint[] = points
      .filter((p) => p.scored > 0)
      .map((p) => ({ time: p.time, value: p.sentimentSum / p.scored, count: p.scored }));
    const lastTime = points.at(-last)?.time ?? 0;
    return [
      ...detectSeriesAnomalies(volume, { metric: 'volume', granularity, scope, evaluateLast: last }),
      ...detectSeriesAnomalies(sentiment, { metric: 'sentiment', granularity, scope }).filter(
        (a) => Date.parse(a.time) >= lastTime,
      ),
    ].map((a) => toNew(s, a));
  }

  private async notify(organizationId: string, anomalies: StoredAnomaly[]): Promise<void> {
    if (!this.o.webhook || anomalies.length === 0) return;
    const sent: string[] = [];
    for (const a of anomalies) {
      const alertKey = `alert:${organizationId}:${a.metric}:${a.granularity}:${a.scopeType}:${a.scopeValue ?? ''}:${a.direction}`;
      if (await this.o.cache.get(alertKey)) continue;
      await this.o.cache.set(alertKey, '1', ALERT_REPEAT_MS);
      const ok = await sendWebhook(
        { ...this.o.webhook, logger: this.o.logger },
        { type: 'anomaly.detected', organizationId, anomaly: a },
      );
      if (ok) sent.push(a.id);
    }
    if (sent.length > 0) await this.o.storage.signals.markNotified(organizationId, sent);
  }
}

interface FilledPoint {
  time: number;
  count: number;
  scored: number;
  sentimentSum: number;
  negative: number;
}

function groupByScope(scopeType: AnomalyScope, buckets: SeriesBucket[]): ScopedSeries[] {
  const by = new Map<string | null, SeriesBucket[]>();
  for (const b of buckets) {
    const list = by.get(b.scopeValue) ?? [];
    list.push(b);
    by.set(b.scopeValue, list);
  }
  return [...by].map(([scopeValue, list]) => ({ scopeType, scopeValue, buckets: list }));
}

/** One point per bucket in [from, to): a bucket with no interactions is a real zero for volume. */
function fill(buckets: SeriesBucket[], from: number, to: number, step: number): FilledPoint[] {
  const at = new Map(buckets.map((b) => [b.bucket.getTime(), b]));
  const firstSeen = Math.min(...buckets.map((b) => b.bucket.getTime()));
  const out: FilledPoint[] = [];
  for (let t = Math.max(from, firstSeen); t < to; t += step) {
    const b = at.get(t);
    out.push({
      time: t,
      count: b?.count ?? 0,
      scored: b?.scored ?? 0,
      sentimentSum: b?.sentimentSum ?? 0,
      negative: b?.negative ?? 0,
    });
  }
  return out;
}

function weekOverWeek(s: ScopedSeries, days: FilledPoint[], dayEnd: number): NewAnomaly[] {
  const week = (from: number) => {
    const pts = days.filter((p) => p.time >= from && p.time < from + 7 * DAY);
    const scored = pts.reduce((n, p) => n + p.scored, 0);
    const sum = pts.reduce((n, p) => n + p.sentimentSum, 0);
    return {
      weekStart: from,
      interactions: pts.reduce((n, p) => n + p.count, 0),
      negative: pts.reduce((n, p) => n + p.negative, 0),
      scored,
      ...(scored > 0 ? { meanSentiment: sum / scored } : {}),
    };
  };
  const current = week(dayEnd - 7 * DAY);
  const previous = week(dayEnd - 14 * DAY);
  return detectWeekOverWeek(previous, current, { scope: describeScope(s) }).map((a) => toNew(s, a));
}

function describeScope(s: ScopedSeries): string {
  if (s.scopeType === 'organization') return 'all interactions';
  return `${s.scopeType} ${s.scopeValue ?? '(none)'}`;
}

function toNew(s: ScopedSeries, a: Anomaly): NewAnomaly {
  return {
    dedupeKey: [a.metric, a.granularity, s.scopeType, s.scopeValue ?? '', a.direction, a.time].join(':'),
    metric: a.metric,
    granularity: a.granularity,
    method: a.method,
    direction: a.direction,
    scopeType: s.scopeType,
    scopeValue: s.scopeValue,
    bucketTime: new Date(a.time),
    value: a.value,
    expected: a.expected,
    score: a.score,
    severity: a.severity,
    description: a.description,
  };
}
