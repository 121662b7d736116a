import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../lib/api.js';
import { formatCount, formatScore, formatTime, labelOf } from '../lib/format.js';

export interface CustomerJson {
  id: string;
  externalId: string;
  segment: string | null;
  traits: Record<string, unknown>;
  firstSeenAt: string;
  lastSeenAt: string;
  interactionCount: number;
  averageSentiment: number | null;
}

export function Customers({ api }: { api: Api }) {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [result, setResult] = useState<{
    data: CustomerJson[];
    pagination: { totalPages: number; total: number };
  }>();
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const t = setTimeout(() => {
      api
        .get<typeof result & object>('/api/customers', {
          search: search.trim() || undefined,
          page,
          pageSize: 25,
        })
        .then(setResult, (err: Error) => setError(err.message));
    }, 200);
    return () => clearTimeout(t);
  }, [api, search, page]);
  return (
    <div class="customers">
      <div class="filters">
        <label class="grow">
          Search customers
          <input
            type="search"
            name="search"
            placeholder="External id starts with…"
            value={search}
            onInput={(e) => {
              setSearch(e.currentTarget.value);
              setPage(1);
            }}
          />
        </label>
      </div>
      {error && <p class="error">{error}</p>}
      <div class="card">
        <table class="list">
          <thead>
            <tr>
              <th>Customer</th>
              <th>Segment</th>
              <th>Interactions</th>
              <th>Sentiment</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {(result?.data ?? []).map((c) => (
              <tr key={c.id}>
                <td>
                  <a href={`#/customers/${encodeURIComponent(c.id)}`}>{c.externalId}</a>
                </td>
                <td>{c.segment ?? '–'}</td>
                <td>{formatCount(c.interactionCount)}</td>
                <td class={labelOf(c.averageSentiment)}>{formatScore(c.averageSentiment)}</td>
                <td>{formatTime(c.lastSeenAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {result && result.data.length === 0 && <p class="muted">No customers match.</p>}
        {result && result.pagination.totalPages > 1 && (
          <div class="pager">
            <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>
              Previous
            </button>
            <span>
              Page {page} of {result.pagination.totalPages}
            </span>
            <button
              type="button"
              disabled={page >= result.pagination.totalPages}
              onClick={() => setPage(page + 1)}
            >
              Next
            </button>
          </div>
        )}
      </div>
    </div>
  );
}
