import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../lib/api.js';
import {
  type Filters,
  filterQuery,
  formatCount,
  formatScore,
  formatTime,
  labelOf,
  truncate,
} from '../lib/format.js';
import { LineChart } from './Chart.js';
import type { FeedItem, Live } from './useLive.js';

interface Metrics {
  volume: number;
  scored: number;
  meanSentiment: number | null;
  activeCustomers: number;
  byChannel: Array<{ channel: string; count: number; meanSentiment: number | null }>;
  byLabel: { positive: number; negative: number; neutral: number; unscored: number };
  topEventTypes: Array<{ eventType: string; count: number }>;
}
interface Point {
  bucket: string;
  count: number;
  meanSentiment: number | null;
  positive: number;
  negative: number;
  neutral: number;
}
interface Trends {
  series: Array<{ key: string | null; points: Point[] }>;
}
interface Anomaly {
  id: string;
  severity: string;
  description: string;
  detectedAt: string;
  scopeType: string;
  scopeValue: string | null;
}

const CHANNELS = ['web', 'mobile', 'email', 'chat', 'phone'];

/** Re-runs `load` when its inputs or the live data version change; keeps the last result meanwhile. */
function useData<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: string | null } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    load().then(
      (d) => {
        if (!cancelled) {
          setData(d);
          setError(null);
        }
      },
      (err: Error) => !cancelled && setError(err.message),
    );
    return () => {
      cancelled = true;
    };
  }, deps);
  return { data, error };
}

export function Overview({ api, live }: { api: Api; live: Live }) {
  const [filters, setFilters] = useState<Filters>({ range: '7d', channel: '', segment: '', sentiment: '' });
  const q = filterQuery(filters);
  const key = JSON.stringify(filters);
  const groupBy = filters.range === '24h' || filters.range === '7d' ? 'hour' : 'day';
  const metrics = useData(() => api.get<Metrics>('/api/insights/metrics', q), [key, live.version]);
  const trend = useData(
    () => api.get<Trends>('/api/insights/sentiment-trends', { ...q, groupBy }),
    [key, live.version],
  );
  // Every segment (the segment filter aside): the heatmap compares them, the filter offers them all.
  const bySegment = useData(
    () =>
      api.get<Trends>('/api/insights/sentiment-trends', {
        ...q,
        segments: undefined,
        groupBy: 'week',
        splitBy: 'segment',
      }),
    [key, live.version],
  );
  const anomalies = useData(
    () => api.get<{ data: Anomaly[] }>('/api/anomalies', { limit: 8 }),
    [live.version],
  );
  const set = (patch: Partial<Filters>) => setFilters((f) => ({ ...f, ...patch }));
  const segments = (bySegment.data?.series ?? []).map((s) => s.key).filter((k): k is string => k !== null);

  return (
    <div class="overview">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Range
          <select
            value={filters.range}
            onChange={(e) => set({ range: e.currentTarget.value as Filters['range'] })}
          >
            <option value="24h">Last 24 hours</option>
            <option value="7d">Last 7 days</option>
            <option value="30d">Last 30 days</option>
            <option value="90d">Last 90 days</option>
          </select>
        </label>
        <label>
          Channel
          <select
            name="channel"
            value={filters.channel}
            onChange={(e) => set({ channel: e.currentTarget.value })}
          >
            <option value="">All channels</option>
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label>
          Segment
          <select value={filters.segment} onChange={(e) => set({ segment: e.currentTarget.value })}>
            <option value="">All segments</option>
            {segments.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sentiment
          <select
            value={filters.sentiment}
            onChange={(e) => set({ sentiment: e.currentTarget.value as Filters['sentiment'] })}
          >
            <option value="">Any sentiment</option>
            <option value="positive">Positive</option>
            <option value="neutral">Neutral</option>
            <option value="negative">Negative</option>
          </select>
        </label>
      </form>
      {metrics.error && <p class="error">{metrics.error}</p>}
      <Kpis m={metrics.data} />
      <div class="grid">
        <section class="card wide">
          <h2>Sentiment trend</h2>
          <Trend t={trend.data} />
        </section>
        <section class="card">
          <h2>Channels</h2>
          <ChannelBars m={metrics.data} />
        </section>
        <section class="card">
          <h2>Segment × sentiment</h2>
          <Heatmap t={bySegment.data} />
        </section>
        <section class="card">
          <h2>Top behaviours</h2>
          <ul class="bars">
            {(metrics.data?.topEventTypes ?? []).slice(0, 6).map((e) => (
              <li key={e.eventType}>
                <span class="name">{e.eventType}</span>
                <span class="value">{formatCount(e.count)}</span>
              </li>
            ))}
          </ul>
        </section>
        <section class="card">
          <h2>Anomalies</h2>
          <Anomalies list={anomalies.data?.data} />
        </section>
        <section class="card wide feed-card">
          <h2>Live feed</h2>
          <Feed items={live.feed.filter((i) => matches(i, filters))} />
        </section>
      </div>
    </div>
  );
}

function matches(i: FeedItem, f: Filters): boolean {
  if (f.channel && i.channel !== f.channel) return false;
  if (f.segment && i.segment !== f.segment) return false;
  if (f.sentiment && labelOf(i.sentimentScore) !== f.sentiment) return false;
  return true;
}

function Kpis({ m }: { m: Metrics | undefined }) {
  const negativeShare = m && m.scored > 0 ? Math.round((100 * m.byLabel.negative) / m.scored) : null;
  const tiles: Array<[string, string, string?]> = [
    ['Interactions', m ? formatCount(m.volume) : '…'],
    ['Mean sentiment', m ? formatScore(m.meanSentiment) : '…', labelOf(m?.meanSentiment)],
    ['Active customers', m ? formatCount(m.activeCustomers) : '…'],
    ['Negative', negativeShare === null ? '–' : `${negativeShare}%`],
  ];
  return (
    <div class="kpis">
      {tiles.map(([label, value, tone]) => (
        <div class={`kpi ${tone ?? ''}`} key={label} data-testid="kpi">
          <span class="label">{label}</span>
          <span class="value">{value}</span>
        </div>
      ))}
    </div>
  );
}

function Trend({ t }: { t: Trends | undefined }) {
  const points = t?.series[0]?.points ?? [];
  if (!t) return <p class="muted">Loading…</p>;
  if (points.length === 0) return <p class="muted">No interactions in this range yet.</p>;
  const x = points.map((p) => Date.parse(p.bucket) / 1000);
  return (
    <LineChart
      x={x}
      series={[
        { label: 'Mean sentiment', color: '#4f46e5', values: points.map((p) => p.meanSentiment) },
        { label: 'Interactions', color: '#94a3b8', values: points.map((p) => p.count), counts: true },
      ]}
    />
  );
}

function ChannelBars({ m }: { m: Metrics | undefined }) {
  const rows = m?.byChannel ?? [];
  const max = Math.max(1, ...rows.map((r) => r.count));
  if (rows.length === 0) return <p class="muted">No data.</p>;
  return (
    <ul class="bars">
      {rows.map((r) => (
        <li key={r.channel}>
          <span class="name">{r.channel}</span>
          <span class="bar">
            <span style={{ width: `${(100 * r.count) / max}%` }} class={labelOf(r.meanSentiment)} />
          </span>
          <span class="value">{formatCount(r.count)}</span>
        </li>
      ))}
    </ul>
  );
}

function Heatmap({ t }: { t: Trends | undefined }) {
  const rows = (t?.series ?? []).map((s) => {
    const sum = { positive: 0, neutral: 0, negative: 0 };
    for (const p of s.points) {
      sum.positive += p.positive;
      sum.neutral += p.neutral;
      sum.negative += p.negative;
    }
    const total = sum.positive + sum.neutral + sum.negative;
    return { segment: s.key ?? '(none)', ...sum, total };
  });
  if (rows.length === 0) return <p class="muted">No scored interactions.</p>;
  const cell = (n: number, total: number, tone: string) => {
    const share = total > 0 ? n / total : 0;
    return (
      <td class={`heat ${tone}`} style={{ '--share': share.toFixed(2) }} title={`${n} of ${total}`}>
        {total > 0 ? `${Math.round(share * 100)}%` : '–'}
      </td>
    );
  };
  return (
    <table class="heatmap">
      <thead>
        <tr>
          <th>Segment</th>
          <th>Positive</th>
          <th>Neutral</th>
          <th>Negative</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.segment}>
            <th>{r.segment}</th>
            {cell(r.positive, r.total, 'positive')}
            {cell(r.neutral, r.total, 'neutral')}
            {cell(r.negative, r.total, 'negative')}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Anomalies({ list }: { list: Anomaly[] | undefined }) {
  if (!list) return <p class="muted">Loading…</p>;
  if (list.length === 0) return <p class="muted">Nothing unusual detected.</p>;
  return (
    <ul class="anomalies">
      {list.map((a) => (
        <li key={a.id} class={`sev-${a.severity}`}>
          <span class="badge">{a.severity}</span>
          <span>{a.description}</span>
          <span class="muted small">{formatTime(a.detectedAt)}</span>
        </li>
      ))}
    </ul>
  );
}

export function Feed({ items }: { items: FeedItem[] }) {
  if (items.length === 0) return <p class="muted">Waiting for interactions…</p>;
  return (
    <ul class="feed" data-testid="live-feed">
      {items.map((i) => (
        <li key={i.id} class={i.fresh ? 'fresh' : ''} data-id={i.id}>
          <span class={`sentiment ${i.sentimentLabel ?? labelOf(i.sentimentScore)}`} data-testid="sentiment">
            {i.sentimentScore === null || i.sentimentScore === undefined
              ? 'scoring…'
              : `${i.sentimentLabel ?? labelOf(i.sentimentScore)} ${formatScore(i.sentimentScore)}`}
          </span>
          <span class="who">
            {i.customerId ? (
              <a href={`#/customers/${encodeURIComponent(i.customerId)}`}>{i.externalId}</a>
            ) : (
              i.externalId
            )}
          </span>
          <span class="chan">{i.channel}</span>
          <span class="what">{i.eventType}</span>
          <span class="content">{truncate(i.content, 200)}</span>
          <span class="when muted small">{i.timestamp ? formatTime(i.timestamp) : ''}</span>
        </li>
      ))}
    </ul>
  );
}
