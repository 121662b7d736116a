import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../lib/api.js';
import { formatCount, formatScore, formatTime, labelOf } from '../lib/format.js';
import { LineChart } from './Chart.js';
import type { CustomerJson } from './Customers.js';
import { Feed } from './Overview.js';
import type { FeedItem, Live } from './useLive.js';

interface Pattern {
  id: string;
  patternType: string;
  description: string;
  confidence: number;
  frequency: number;
}
interface Profile {
  customer: CustomerJson;
  recentInteractions: Array<FeedItem & { sentiment: { label: string } | null }>;
  patterns: Pattern[];
  sentimentOverTime: Array<{ bucket: string; count: number; meanSentiment: number | null }>;
}

export function CustomerPage({ api, id, live }: { api: Api; id: string; live: Live }) {
  const [profile, setProfile] = useState<Profile | null>(null);
  const [patterns, setPatterns] = useState<Pattern[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Refetch when this customer's interactions change.
  const mine = live.feed.filter((i) => i.customerId === id).length;
  useEffect(() => {
    api
      .get<Profile>(`/api/customers/${encodeURIComponent(id)}`)
      .then(setProfile, (e: Error) => setError(e.message));
  }, [api, id, mine, live.version]);
  useEffect(() => {
    api
      .get<{ data: Pattern[] }>(`/api/patterns/${encodeURIComponent(id)}`)
      .then((r) => setPatterns(r.data))
      .catch(() => setPatterns(null));
  }, [api, id]);
  if (error) return <p class="error">{error}</p>;
  if (!profile) return <p class="muted">Loading…</p>;
  const c = profile.customer;
  const shown = patterns ?? profile.patterns;
  const points = profile.sentimentOverTime;
  return (
    <div class="customer">
      <p>
        <a href="#/customers">← Customers</a>
      </p>
      <h1 class="customer-name">{c.externalId}</h1>
      <div class="kpis">
        <div class="kpi">
          <span class="label">Segment</span>
          <span class="value">{c.segment ?? '–'}</span>
        </div>
        <div class="kpi">
          <span class="label">Interactions</span>
          <span class="value">{formatCount(c.interactionCount)}</span>
        </div>
        <div class={`kpi ${labelOf(c.averageSentiment)}`}>
          <span class="label">Average sentiment</span>
          <span class="value">{formatScore(c.averageSentiment)}</span>
        </div>
        <div class="kpi">
          <span class="label">First seen</span>
          <span class="value small">{formatTime(c.firstSeenAt)}</span>
        </div>
      </div>
      <div class="grid">
        <section class="card wide">
          <h2>Sentiment over 90 days</h2>
          {points.length === 0 ? (
            <p class="muted">No scored interactions yet.</p>
          ) : (
            <LineChart
              x={points.map((p) => Date.parse(p.bucket) / 1000)}
              series={[
                { label: 'Mean sentiment', color: '#4f46e5', values: points.map((p) => p.meanSentiment) },
              ]}
              height={180}
            />
          )}
        </section>
        <section class="card">
          <h2>Behaviour patterns</h2>
          {shown.length === 0 ? (
            <p class="muted">No patterns detected yet.</p>
          ) : (
            <ul class="patterns">
              {shown.map((p) => (
                <li key={p.id}>
                  <strong>{p.patternType}</strong> {p.description}
                  <span class="muted small">
                    {' '}
                    confidence {Math.round(p.confidence * 100)}%, ×{p.frequency}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section class="card">
          <h2>Traits</h2>
          <dl class="traits">
            {Object.entries(c.traits).map(([k, v]) => (
              <>
                <dt key={`k-${k}`}>{k}</dt>
                <dd key={`v-${k}`}>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
              </>
            ))}
          </dl>
        </section>
        <section class="card wide">
          <h2>Recent interactions</h2>
          <Feed
            items={profile.recentInteractions.map((i) => ({
              ...i,
              sentimentLabel: i.sentiment?.label ?? null,
            }))}
          />
        </section>
      </div>
    </div>
  );
}
