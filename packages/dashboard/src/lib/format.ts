/** Display helpers (pure; Preact escapes whatever they return when it is rendered as text). */

export function formatScore(score: number | null | undefined): string {
  if (score === null || score === undefined) return '–';
  return (score > 0 ? '+' : '') + score.toFixed(2);
}

export function labelOf(score: number | null | undefined): 'positive' | 'negative' | 'neutral' | 'unscored' {
  if (score === null || score === undefined) return 'unscored';
  if (score >= 0.2) return 'positive';
  if (score <= -0.2) return 'negative';
  return 'neutral';
}

export function formatCount(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (n >= 10_000) return `${(n / 1000).toFixed(1)}k`;
  return n.toLocaleString('en-US');
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function truncate(s: string | null | undefined, max: number): string {
  if (!s) return '';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export const RANGES = {
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
  '90d': 90 * 86_400_000,
};
export type RangeKey = keyof typeof RANGES;

export interface Filters {
  range: RangeKey;
  channel: string;
  segment: string;
  sentiment: '' | 'positive' | 'neutral' | 'negative';
}

/** Query parameters of /api/insights* for the filters. */
export function filterQuery(f: Filters, now = Date.now()): Record<string, string | undefined> {
  const sentiment =
    f.sentiment === 'positive'
      ? { minSentiment: '0.2' }
      : f.sentiment === 'negative'
        ? { maxSentiment: '-0.2' }
        : f.sentiment === 'neutral'
          ? { minSentiment: '-0.2', maxSentiment: '0.2' }
          : {};
  return {
    from: new Date(now - RANGES[f.range]).toISOString(),
    channels: f.channel || undefined,
    segments: f.segment || undefined,
    ...sentiment,
  };
}
