/**
 * Week-over-week rules: compare this week's totals with last week's for one scope
 * (organization, channel or segment).
 */
import type { Anomaly, Severity } from './anomalies.js';

export interface WeekStats {
  /** Start of the week (ISO string, Date or epoch ms). */
  weekStart: Date | string | number;
  interactions: number;
  /** Interactions scored negative. */
  negative: number;
  /** Interactions with a sentiment score. Default: interactions. */
  scored?: number;
  /** Mean sentiment score in [-1, 1]; omit when nothing was scored. */
  meanSentiment?: number;
}

export interface WeekOverWeekOptions {
  scope?: string;
  /** Relative rise of the negative share that is reported. Default 0.3 (+30%). */
  negativeShareRise?: number;
  /** Relative volume drop that is reported. Default 0.5 (-50%). */
  volumeDrop?: number;
  /** Relative volume rise that is reported. Default 1 (+100%). */
  volumeRise?: number;
  /** Absolute fall of mean sentiment that is reported. Default 0.2. */
  sentimentFall?: number;
  /** Each week needs at least this many (scored) interactions. Default 20. */
  minInteractions?: number;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Severity of a relative change that is `ratio` times its reporting threshold. */
function severityOf(ratio: number): Severity {
  if (ratio >= 4) return 'critical';
  if (ratio >= 2.5) return 'high';
  if (ratio >= 1.5) return 'medium';
  return 'low';
}

/**
 * Applies the week-over-week rules: negative share up more than 30%, volume down by half or doubled,
 * mean sentiment down by 0.2 or more. Weeks below `minInteractions` are not compared (too noisy).
 */
export function detectWeekOverWeek(
  previous: WeekStats,
  current: WeekStats,
  options: WeekOverWeekOptions = {},
): Anomaly[] {
  const scope = options.scope ?? 'all interactions';
  const min = options.minInteractions ?? 20;
  const time = new Date(current.weekStart).toISOString();
  const out: Anomaly[] = [];
  const base = { time, granularity: 'week' as const, method: 'week_over_week' as const };

  if (previous.interactions >= min && current.interactions >= min) {
    const change = current.interactions / previous.interactions - 1;
    const drop = options.volumeDrop ?? 0.5;
    const rise = options.volumeRise ?? 1;
    if (change <= -drop || change >= rise) {
      const direction = change < 0 ? 'drop' : 'spike';
      out.push({
        ...base,
        metric: 'volume',
        direction,
        value: current.interactions,
        expected: previous.interactions,
        score: change,
        severity: severityOf(change < 0 ? (1 - 1 / (1 + change)) / drop : change / rise),
        description: `Interactions for ${scope} ${change < 0 ? 'fell' : 'rose'} from ${previous.interactions} last week to ${current.interactions} this week (${change > 0 ? '+' : ''}${pct(change)}).`,
      });
    }
  }

  const prevScored = previous.scored ?? previous.interactions;
  const curScored = current.scored ?? current.interactions;
  if (prevScored >= min && curScored >= min) {
    const prevShare = previous.negative / prevScored;
    const curShare = current.negative / curScored;
    const threshold = options.negativeShareRise ?? 0.3;
    const rise = prevShare > 0 ? curShare / prevShare - 1 : curShare > 0 ? Number.POSITIVE_INFINITY : 0;
    // An absolute floor of 5 points keeps 1% -> 2% from being reported as +100%.
    if (rise > threshold && curShare - prevShare >= 0.05) {
      out.push({
        ...base,
        metric: 'negative_share',
        direction: 'spike',
        value: curShare,
        expected: prevShare,
        score: Number.isFinite(rise) ? rise : 1e9,
        severity: severityOf(Number.isFinite(rise) ? rise / threshold : 10),
        description: `Negative messages for ${scope} rose from ${pct(prevShare)} to ${pct(curShare)} of scored interactions this week${Number.isFinite(rise) ? ` (+${pct(rise)} week over week)` : ''}.`,
      });
    }
    if (previous.meanSentiment !== undefined && current.meanSentiment !== undefined) {
      const fall = previous.meanSentiment - current.meanSentiment;
      const threshold2 = options.sentimentFall ?? 0.2;
      if (fall >= threshold2) {
        out.push({
          ...base,
          metric: 'sentiment',
          direction: 'drop',
          value: current.meanSentiment,
          expected: previous.meanSentiment,
          score: -fall,
          severity: severityOf(fall / threshold2),
          description: `Mean sentiment for ${scope} fell from ${previous.meanSentiment.toFixed(2)} to ${current.meanSentiment.toFixed(2)} week over week.`,
        });
      }
    }
  }
  return out;
}
