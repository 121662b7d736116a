/**
 * Anomalies in time series of interaction volume and mean sentiment. Pure functions: the caller
 * aggregates per organization / channel / segment and bucket (hour or day) and stores the results.
 */
import { iqrDistance, robustZ } from './stats.js';

export type AnomalyMetric = 'volume' | 'sentiment';
export type Granularity = 'hour' | 'day';
export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface SeriesPoint {
  /** Start of the bucket. */
  time: Date | string | number;
  /** Interaction count (volume) or mean sentiment score in [-1, 1] (positive - negative). */
  value: number;
  /** Texts behind a mean-sentiment value; buckets with fewer than `minCount` are skipped. */
  count?: number;
}

export interface Anomaly {
  /** ISO time of the anomalous bucket (or of the current week's start for week-over-week rules). */
  time: string;
  metric: AnomalyMetric | 'negative_share';
  granularity: Granularity | 'week';
  method: 'robust_z' | 'iqr' | 'robust_z+iqr' | 'week_over_week';
  direction: 'spike' | 'drop';
  value: number;
  /** Typical value: the baseline median, or last week's value. */
  expected: number;
  /** Robust z-score (or relative change for week-over-week rules). */
  score: number;
  severity: Severity;
  description: string;
}

export interface SeriesOptions {
  metric: AnomalyMetric;
  granularity: Granularity;
  /** Who the series is about, for descriptions (e.g. "chat", "segment enterprise"). Default "all interactions". */
  scope?: string;
  /** Robust |z| at or above this flags a point. Default 3.5 (Iglewicz & Hoaglin). */
  zThreshold?: number;
  /** Distance beyond the quartiles, in IQRs, that flags a point. Default 3 (Tukey's "far out"). */
  iqrK?: number;
  /** Smallest absolute change from the median worth reporting. Default 3 interactions / 0.15 sentiment. */
  minChange?: number;
  /** Smallest relative change of volume worth reporting. Default 0.2 (20%). */
  minRelativeChange?: number;
  /** Baseline points needed before a point is judged. Default 7 (hourly: same hour, 7 days) / 14 (daily). */
  minBaseline?: number;
  /** Only judge the last N points (e.g. 1 for a scheduled check of the latest bucket). Default all. */
  evaluateLast?: number;
  /** Skip sentiment buckets with fewer texts than this. Default 5. */
  minCount?: number;
}

const SEASON: Record<Granularity, number> = { hour: 24, day: 7 };
const MIN_BASELINE: Record<Granularity, number> = { hour: 7, day: 14 };
const TRAILING: Record<Granularity, number> = { hour: 168, day: 28 };
const UNIT: Record<Granularity, string> = { hour: 'hour', day: 'day' };

/** Severity from how far past the thresholds a point lies (1 = just at a threshold). */
function severityOf(strength: number): Severity {
  if (strength >= 3) return 'critical';
  if (strength >= 2) return 'high';
  if (strength >= 1.5) return 'medium';
  return 'low';
}

function fmtValue(metric: AnomalyMetric, v: number): string {
  return metric === 'volume'
    ? `${Math.round(v)} interactions`
    : `mean sentiment ${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
}

/**
 * Flags buckets that are unusual against their baseline: robust z-score (median/MAD, with a Poisson
 * floor on the spread for volume) or beyond
 * Tukey's fences, and materially different (see minChange / minRelativeChange). The baseline of an
 * hourly bucket is the same hour of previous days (up to 7 weeks); of a daily bucket, the same weekday
 * of previous weeks once 8 exist, else the preceding 28 days. Normal daily and weekly rhythms are
 * therefore not reported.
 */
export function detectSeriesAnomalies(points: readonly SeriesPoint[], options: SeriesOptions): Anomaly[] {
  const { metric, granularity } = options;
  const zThreshold = options.zThreshold ?? 3.5;
  const iqrK = options.iqrK ?? 3;
  const minChange = options.minChange ?? (metric === 'volume' ? 3 : 0.15);
  const minBaseline = options.minBaseline ?? MIN_BASELINE[granularity];
  const minRelative = metric === 'volume' ? (options.minRelativeChange ?? 0.2) : 0;
  const minCount = options.minCount ?? 5;
  const scope = options.scope ?? 'all interactions';
  const series = points
    .map((p) => ({ t: new Date(p.time).getTime(), value: p.value, count: p.count }))
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.value))
    .filter((p) => metric !== 'sentiment' || p.count === undefined || p.count >= minCount)
    .sort((a, b) => a.t - b.t);
  const start = Math.max(0, series.length - (options.evaluateLast ?? series.length));
  const season = SEASON[granularity];
  const stepMs = granularity === 'hour' ? 3_600_000 : 86_400_000;
  const anomalies: Anomaly[] = [];
  for (let i = start; i < series.length; i++) {
    const point = series[i]!;
    const history = series.slice(0, i);
    const seasonal = history.filter((h) => Math.round((point.t - h.t) / stepMs) % season === 0);
    // Hourly volume has a strong daily rhythm, so hours are only compared with the same hour of
    // earlier days; daily series fall back to the trailing 28 days until 8 same-weekday points exist.
    const pool =
      seasonal.length >= (granularity === 'hour' ? minBaseline : 8) || granularity === 'hour'
        ? seasonal
        : history;
    const baseline = pool.slice(-TRAILING[granularity]).map((h) => h.value);
    if (baseline.length < minBaseline) continue;
    // Counts are at least Poisson-noisy: never trust a spread narrower than sqrt(median).
    const floor = metric === 'volume' ? (m: number) => Math.sqrt(Math.max(m, 1)) : undefined;
    const { z, median } = robustZ(point.value, baseline, floor);
    const { distance } = iqrDistance(point.value, baseline, floor);
    const change = Math.abs(point.value - median);
    if (change < minChange || change < minRelative * Math.abs(median)) continue;
    const byZ = Math.abs(z) >= zThreshold;
    const byIqr = distance >= iqrK;
    if (!byZ && !byIqr) continue;
    const strength = Math.max(Math.abs(z) / zThreshold, distance / iqrK);
    const direction = point.value > median ? 'spike' : 'drop';
    const time = new Date(point.t).toISOString();
    const what =
      metric === 'volume'
        ? direction === 'spike'
          ? 'Unusually many'
          : 'Unusually few'
        : direction === 'spike'
          ? 'Unusually positive'
          : 'Unusually negative';
    anomalies.push({
      time,
      metric,
      granularity,
      method: byZ && byIqr ? 'robust_z+iqr' : byZ ? 'robust_z' : 'iqr',
      direction,
      value: point.value,
      expected: median,
      score: Number.isFinite(z) ? z : Math.sign(z) * 1e9,
      severity: severityOf(strength),
      description: `${what} ${metric === 'volume' ? 'interactions' : 'messages'} for ${scope} in the ${UNIT[granularity]} starting ${time}: ${fmtValue(metric, point.value)}, typically ${fmtValue(metric, median)}.`,
    });
  }
  return anomalies;
}
