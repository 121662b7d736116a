import { useEffect, useState } from 'preact/hooks';
import type { Api, Session } from '../lib/api.js';
import { CustomerPage } from './CustomerPage.js';
import { Customers } from './Customers.js';
import { Login } from './Login.js';
import { Overview } from './Overview.js';
import { StatusPill, useLive } from './useLive.js';
import { Widgets } from './Widgets.js';

function useHashRoute(): string {
  const [hash, setHash] = useState(location.hash.slice(1) || '/');
  useEffect(() => {
    const on = () => setHash(location.hash.slice(1) || '/');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

export function App({ api }: { api: Api }) {
  const [session, setSession] = useState<Session | null>(api.session);
  useEffect(() => api.onSessionChange(setSession), [api]);
  if (!session) return <Login api={api} />;
  return <Shell api={api} session={session} />;
}

function Shell({ api, session }: { api: Api; session: Session }) {
  const route = useHashRoute();
  const live = useLive(api);
  const customer = /^\/customers\/([^/]+)$/.exec(route)?.[1];
  return (
    <div class="shell">
      <header class="top">
        <a class="brand" href="#/">
          Heed
        </a>
        <nav>
          <a href="#/" class={route === '/' ? 'active' : ''}>
            Overview
          </a>
          <a href="#/customers" class={route.startsWith('/customers') ? 'active' : ''}>
            Customers
          </a>
          {session.user.role === 'admin' && (
            <a href="#/widgets" class={route === '/widgets' ? 'active' : ''}>
              Widgets
            </a>
          )}
        </nav>
        <StatusPill status={live.status} onRetry={live.retry} />
        <span class="who" title={session.user.role}>
          {session.user.email}
        </span>
        <button type="button" class="link" onClick={() => void api.logout()}>
          Log out
        </button>
      </header>
      <main>
        {customer ? (
          <CustomerPage api={api} id={decodeURIComponent(customer)} live={live} />
        ) : route === '/widgets' ? (
          <Widgets api={api} />
        ) : route.startsWith('/customers') ? (
          <Customers api={api} />
        ) : (
          <Overview api={api} live={live} />
        )}
      </main>
    </div>
  );
}
