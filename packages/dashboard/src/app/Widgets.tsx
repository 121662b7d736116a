import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api } from '../lib/api.js';
import { formatTime } from '../lib/format.js';

interface EmbedToken {
  id: string;
  name: string;
  tokenPrefix: string;
  widgets: string[];
  allowedOrigins: string[];
  expiresAt: string;
  revokedAt: string | null;
}

const KINDS = ['sentiment-trend', 'kpis', 'channels'];

/** Admins: embed tokens for `<heed-widget>` (created, shown once with a snippet, listed, revoked). */
export function Widgets({ api }: { api: Api }) {
  const [tokens, setTokens] = useState<EmbedToken[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<(EmbedToken & { token: string }) | null>(null);
  const [name, setName] = useState('');
  const [origins, setOrigins] = useState('');
  const [days, setDays] = useState(90);
  const [kinds, setKinds] = useState<string[]>(['sentiment-trend']);

  const load = useCallback(() => {
    api.get<{ data: EmbedToken[] }>('/api/embed-tokens').then(
      (r) => setTokens(r.data),
      (e: Error) => setError(e.message),
    );
  }, [api]);
  useEffect(load, [load]);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const t = await api.post<EmbedToken & { token: string }>('/api/embed-tokens', {
        name,
        widgets: kinds,
        allowedOrigins: origins
          .split(/[\s,]+/)
          .map((o) => o.trim())
          .filter(Boolean),
        expiresInDays: days,
      });
      setCreated(t);
      load();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const revoke = async (id: string) => {
    await api.del(`/api/embed-tokens/${encodeURIComponent(id)}`).catch((e: Error) => setError(e.message));
    load();
  };
  const snippet = created
    ? [
        `<script src="${location.origin}/widgets.js"></script>`,
        ...created.widgets.map((k) => `<heed-widget kind="${k}" token="${created.token}"></heed-widget>`),
      ].join('\n')
    : '';

  return (
    <div class="widgets">
      <div class="grid">
        <section class="card">
          <h2>New embed token</h2>
          <form class="stack" onSubmit={create}>
            <label>
              Name
              <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </label>
            <fieldset>
              <legend>Widgets</legend>
              {KINDS.map((k) => (
                <label key={k} class="check">
                  <input
                    type="checkbox"
                    checked={kinds.includes(k)}
                    onChange={(e) =>
                      setKinds((ks) => (e.currentTarget.checked ? [...ks, k] : ks.filter((x) => x !== k)))
                    }
                  />
                  {k}
                </label>
              ))}
            </fieldset>
            <label>
              Allowed origins (one per line)
              <textarea
                name="origins"
                rows={3}
                required
                placeholder="https://wiki.example.com"
                value={origins}
                onInput={(e) => setOrigins(e.currentTarget.value)}
              />
            </label>
            <label>
              Expires in (days)
              <input
                type="number"
                min={1}
                max={365}
                value={days}
                onInput={(e) => setDays(Number(e.currentTarget.value))}
              />
            </label>
            <button type="submit">Create token</button>
            {error && <p class="error">{error}</p>}
          </form>
        </section>
        <section class="card wide2">
          <h2>Embed it</h2>
          {created ? (
            <>
              <p class="muted small">Copy the token now: it is not shown again.</p>
              <pre class="snippet">{snippet}</pre>
            </>
          ) : (
            <p class="muted">Create a token to get the snippet for your page.</p>
          )}
        </section>
        <section class="card wide">
          <h2>Tokens</h2>
          <table class="list">
            <thead>
              <tr>
                <th>Name</th>
                <th>Widgets</th>
                <th>Origins</th>
                <th>Expires</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id}>
                  <td>
                    {t.name} <span class="muted small">{t.tokenPrefix}…</span>
                  </td>
                  <td>{t.widgets.join(', ')}</td>
                  <td>{t.allowedOrigins.join(', ')}</td>
                  <td>{formatTime(t.expiresAt)}</td>
                  <td>
                    {t.revokedAt ? (
                      <span class="muted">revoked</span>
                    ) : (
                      <button type="button" class="link" onClick={() => void revoke(t.id)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </div>
  );
}
