import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { Hono } from 'hono';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

// The dashboard only talks to its own origin; data is rendered as text, never as markup.
const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Where @heed/dashboard's build is (dist/ next to its package.json); undefined when not installed. */
export function dashboardDist(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@heed/dashboard/package.json');
    return join(dirname(pkg), 'dist');
  } catch {
    return undefined;
  }
}

/**
 * `GET /dashboard` (the Preact app: index.html for every page, content-hashed assets cached for a
 * year) and `GET /widgets.js` (the embeddable `<heed-widget>` script, cached for five minutes).
 */
export function dashboardRoutes(_ctx: AppContext, dist = dashboardDist()) {
  const app = new Hono();
  const files = new Map<string, Buffer | null>();
  const read = (name: string): Buffer | null => {
    if (!files.has(name)) {
      let buf: Buffer | null = null;
      try {
        if (dist) buf = readFileSync(join(dist, name));
      } catch {
        buf = null;
      }
      // Keep hits; retry misses (the dashboard may be built while the collector runs).
      if (buf) files.set(name, buf);
      return buf;
    }
    return files.get(name) ?? null;
  };
  const send = (name: string, cache: string, extra: Record<string, string> = {}) => {
    const body = read(name);
    if (!body) {
      throw new HeedError(
        name === 'index.html' ? 'service_unavailable' : 'not_found',
        name === 'index.html' ? 'The dashboard is not built: run `pnpm build`' : `No such file: ${name}`,
      );
    }
    return new Response(new Uint8Array(body), {
      headers: {
        'Content-Type': TYPES[extname(name)] ?? 'application/octet-stream',
        'Cache-Control': cache,
        'X-Content-Type-Options': 'nosniff',
        ...extra,
      },
    });
  };
  const page = () => send('index.html', 'no-cache', { 'Content-Security-Policy': DASHBOARD_CSP });

  app.get('/dashboard', (c) => c.redirect('/dashboard/', 301));
  app.get('/dashboard/*', (c) => {
    const rest = c.req.path.slice('/dashboard/'.length);
    const asset = /^assets\/([\w.-]+)$/.exec(rest);
    if (asset) return send(`assets/${asset[1]}`, 'public, max-age=31536000, immutable');
    return page();
  });
  app.get('/widgets.js', () =>
    send('widgets.js', 'public, max-age=300', { 'Access-Control-Allow-Origin': '*' }),
  );
  return app;
}
