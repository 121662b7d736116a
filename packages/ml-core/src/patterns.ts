/**
 * Behaviour patterns of one customer, computed from their recent interactions. Pure functions: the
 * caller loads the interactions and stores the result (behavior_patterns rows).
 */
import type { SentimentLabel } from './manifest.js';

export interface PatternInteraction {
  timestamp: Date | string | number;
  channel: string;
  eventType?: string;
  /** Scores as stored by the sentiment pipeline; null/absent when the interaction had no text. */
  sentiment?: { label: SentimentLabel; positive: number; negative: number; neutral?: number } | null;
}

export type PatternType = 'channel_preference' | 'sentiment_trend' | 'temporal' | 'engagement';

export interface BehaviorPattern {
  patternType: PatternType;
  /** Plain-language summary for the dashboard. */
  description: string;
  /** In [minConfidence, 1]. */
  confidence: number;
  /** How many interactions in the window support the pattern; an integer > 0. */
  frequency: number;
  metadata: Record<string, unknown>;
}

export interface PatternOptions {
  /** End of the window. Default: now. */
  now?: Date;
  /** Window length in days. Default 30. */
  windowDays?: number;
  /** Fewer interactions than this in the window -> no patterns. Default 5. */
  minInteractions?: number;
  /** Patterns below this confidence are dropped. Default 0.7 (never below 0.7). */
  minConfidence?: number;
}

const DAY_MS = 86_400_000;
const DAYPARTS = [
  { name: 'night', from: 0, to: 6 },
  { name: 'morning', from: 6, to: 12 },
  { name: 'afternoon', from: 12, to: 18 },
  { name: 'evening', from: 18, to: 24 },
] as const;

interface Point {
  t: number;
  channel: string;
  score: number | null;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/**
 * Detects channel preference, sentiment trend, time-of-day/weekend habits and engagement changes.
 * Returns [] with fewer than `minInteractions` interactions in the window; otherwise only patterns
 * with confidence in [0.7, 1], sorted by confidence (highest first). Times are read in UTC.
 */
export function detectPatterns(
  interactions: readonly PatternInteraction[],
  options: PatternOptions = {},
): BehaviorPattern[] {
  const now = (options.now ?? new Date()).getTime();
  const windowDays = options.windowDays ?? 30;
  const from = now - windowDays * DAY_MS;
  const minConfidence = Math.max(0.7, options.minConfidence ?? 0.7);
  const points: Point[] = [];
  for (const i of interactions) {
    const t = new Date(i.timestamp).getTime();
    if (!Number.isFinite(t) || t < from || t > now) continue;
    const s = i.sentiment;
    points.push({ t, channel: i.channel, score: s ? s.positive - s.negative : null });
  }
  if (points.length < (options.minInteractions ?? 5)) return [];
  points.sort((a, b) => a.t - b.t);

  const candidates = [
    channelPreference(points),
    sentimentTrend(points),
    temporal(points),
    engagement(points, from, now, windowDays),
  ].flat();
  return candidates
    .filter((p) => Number.isFinite(p.confidence) && p.confidence >= minConfidence && p.frequency >= 1)
    .map((p) => ({ ...p, confidence: Math.min(1, round(p.confidence)), frequency: Math.round(p.frequency) }))
    .sort((a, b) => b.confidence - a.confidence || a.patternType.localeCompare(b.patternType));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function channelPreference(points: Point[]): BehaviorPattern[] {
  const counts = new Map<string, number>();
  for (const p of points) counts.set(p.channel, (counts.get(p.channel) ?? 0) + 1);
  const [channel, count] = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]!;
  const share = count / points.length;
  return [
    {
      patternType: 'channel_preference',
      description: `Prefers ${channel}: ${count} of ${points.length} interactions (${pct(share)}) in the window`,
      confidence: share,
      frequency: count,
      metadata: { channel, share, channels: Object.fromEntries(counts) },
    },
  ];
}

/** Least-squares slope (score per day) and Pearson correlation of sentiment against time. */
function sentimentTrend(points: Point[]): BehaviorPattern[] {
  const scored = points.filter((p) => p.score !== null) as Array<Point & { score: number }>;
  if (scored.length < 5) return [];
  const n = scored.length;
  const xs = scored.map((p) => (p.t - scored[0]!.t) / DAY_MS);
  const ys = scored.map((p) => p.score);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  const out: BehaviorPattern[] = [];
  const span = xs[n - 1]!;
  if (sxx > 0 && syy > 0 && span >= 1) {
    const slope = sxy / sxx;
    const r = sxy / Math.sqrt(sxx * syy);
    const change = slope * span;
    if (Math.abs(change) >= 0.3) {
      const direction = change > 0 ? 'improving' : 'declining';
      out.push({
        patternType: 'sentiment_trend',
        description: `Sentiment ${direction}: from about ${fmt(my - change / 2)} to ${fmt(my + change / 2)} over ${Math.round(span)} days`,
        confidence: Math.abs(r),
        frequency: n,
        metadata: { direction, slopePerDay: slope, correlation: r, mean: my },
      });
    }
  }
  const positive = ys.filter((y) => y > 0.2).length;
  const negative = ys.filter((y) => y < -0.2).length;
  const [label, count] = positive >= negative ? ['positive', positive] : ['negative', negative];
  if (count > 0) {
    out.push({
      patternType: 'sentiment_trend',
      description: `Consistently ${label}: ${count} of ${n} scored messages`,
      confidence: count / n,
      frequency: count,
      metadata: { direction: `consistently_${label}`, mean: my },
    });
  }
  // One sentiment pattern per customer: the better supported one.
  return out.sort((a, b) => b.confidence - a.confidence).slice(0, 1);
}

function fmt(score: number): string {
  const s = Math.max(-1, Math.min(1, score));
  return `${s >= 0 ? '+' : ''}${s.toFixed(2)}`;
}

function temporal(points: Point[]): BehaviorPattern[] {
  const out: BehaviorPattern[] = [];
  const n = points.length;
  const byPart = DAYPARTS.map((part) => ({
    part,
    count: points.filter((p) => {
      const h = new Date(p.t).getUTCHours();
      return h >= part.from && h < part.to;
    }).length,
  }));
  const top = byPart.sort((a, b) => b.count - a.count)[0]!;
  out.push({
    patternType: 'temporal',
    description: `Mostly active in the ${top.part.name} (${top.part.from}:00-${top.part.to}:00 UTC): ${top.count} of ${n} interactions`,
    confidence: top.count / n,
    frequency: top.count,
    metadata: { kind: 'time_of_day', daypart: top.part.name, fromHour: top.part.from, toHour: top.part.to },
  });
  const weekend = points.filter((p) => {
    const d = new Date(p.t).getUTCDay();
    return d === 0 || d === 6;
  }).length;
  // Weekdays are 5/7 of the week, so "mostly on weekdays" is only notable when nearly exclusive.
  const weekday = n - weekend;
  if (weekend / n >= 0.7 || weekday / n >= 0.95) {
    const onWeekend = weekend >= weekday;
    const count = onWeekend ? weekend : weekday;
    out.push({
      patternType: 'temporal',
      description: `${onWeekend ? 'Mostly active on weekends' : 'Active on weekdays only'}: ${count} of ${n} interactions`,
      confidence: count / n,
      frequency: count,
      metadata: { kind: onWeekend ? 'weekend' : 'weekday' },
    });
  }
  return out;
}

function engagement(points: Point[], from: number, now: number, windowDays: number): BehaviorPattern[] {
  const out: BehaviorPattern[] = [];
  const n = points.length;
  const days = new Set(points.map((p) => Math.floor(p.t / DAY_MS))).size;
  const activeShare = days / windowDays;
  out.push({
    patternType: 'engagement',
    description: `Highly engaged: active on ${days} of the last ${windowDays} days (${n} interactions)`,
    confidence: activeShare,
    frequency: n,
    metadata: { kind: 'regular', activeDays: days, interactions: n },
  });
  const mid = from + (now - from) / 2;
  const recent = points.filter((p) => p.t >= mid).length;
  const rising = recent / n;
  const falling = 1 - rising;
  const half = Math.round(windowDays / 2);
  if (rising >= falling) {
    out.push({
      patternType: 'engagement',
      description: `Engagement rising: ${recent} of ${n} interactions in the last ${half} days`,
      confidence: rising,
      frequency: recent,
      metadata: { kind: 'rising', recent, earlier: n - recent },
    });
  } else {
    out.push({
      patternType: 'engagement',
      description: `Engagement fading: ${n - recent} of ${n} interactions came in the first ${half} days of the window`,
      confidence: falling,
      frequency: n - recent,
      metadata: { kind: 'fading', recent, earlier: n - recent },
    });
  }
  return out;
}
