/** The collector's REST API as the dashboard uses it: a session with refresh, JSON in and out. */

export interface Session {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string; name: string | null; role: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | undefined>;

export interface Api {
  readonly session: Session | null;
  login(email: string, password: string): Promise<Session>;
  logout(): Promise<void>;
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  del<T>(path: string): Promise<T>;
  /** Called when the session ends (logout, or a refresh token that no longer works). */
  onSessionChange(listener: (s: Session | null) => void): void;
}

export interface ApiOptions {
  /** Collector origin; default: the page's. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Where the session is kept between reloads; default: sessionStorage (closing the tab logs out). */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}

const KEY = 'heed.session';

export function createApi(opts: ApiOptions = {}): Api {
  const base = opts.baseUrl ?? '';
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const store = opts.storage ?? globalThis.sessionStorage;
  let session: Session | null = read();
  const listeners = new Set<(s: Session | null) => void>();
  let refreshing: Promise<boolean> | null = null;

  function read(): Session | null {
    try {
      const raw = store.getItem(KEY);
      return raw ? (JSON.parse(raw) as Session) : null;
    } catch {
      return null;
    }
  }
  function set(s: Session | null) {
    session = s;
    if (s) store.setItem(KEY, JSON.stringify(s));
    else store.removeItem(KEY);
    for (const l of listeners) l(s);
  }

  async function raw(method: string, path: string, body: unknown, auth: boolean): Promise<Response> {
    return doFetch(base + path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(auth && session ? { authorization: `Bearer ${session.accessToken}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  async function refresh(): Promise<boolean> {
    const current = session;
    if (!current) return false;
    refreshing ??= (async () => {
      try {
        const res = await raw('POST', '/api/auth/refresh', { refreshToken: current.refreshToken }, false);
        if (!res.ok) return false;
        set((await res.json()) as Session);
        return true;
      } catch {
        return false;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res = await raw(method, path, body, true);
    if (res.status === 401 && (await refresh())) res = await raw(method, path, body, true);
    if (res.status === 401) set(null);
    if (!res.ok) {
      const err = (await res.json().catch(() => ({}))) as { error?: string };
      throw new ApiError(res.status, err.error ?? `${method} ${path}: ${res.status}`);
    }
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  return {
    get session() {
      return session;
    },
    async login(email, password) {
      const res = await raw('POST', '/api/auth/login', { email, password }, false);
      if (!res.ok) {
        const err = (await res.json().catch(() => ({}))) as { error?: string };
        throw new ApiError(res.status, err.error ?? 'Login failed');
      }
      const s = (await res.json()) as Session;
      set(s);
      return s;
    },
    async logout() {
      await raw('POST', '/api/auth/logout', undefined, true).catch(() => {});
      set(null);
    },
    get: (path, query) => call('GET', path + queryString(query)),
    post: (path, body) => call('POST', path, body),
    del: (path) => call('DELETE', path),
    onSessionChange(listener) {
      listeners.add(listener);
    },
  };
}

export function queryString(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}
