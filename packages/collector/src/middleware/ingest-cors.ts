import type { MiddlewareHandler } from 'hono';

export interface IngestCorsOptions {
  /** How long browsers may cache a preflight answer, in seconds. Default 1 day. */
  maxAge?: number;
  /** Methods allowed cross-origin. Default POST and OPTIONS. */
  allowMethods?: string[];
}

const DEFAULTS = { maxAge: 86_400, allowMethods: ['POST', 'OPTIONS'] } satisfies Required<IngestCorsOptions>;

/**
 * CORS for the ingest endpoints that browser libraries call from any site (Segment's analytics.js,
 * posthog-js). A preflight carries no credentials, so it cannot name a write key: every origin passes
 * it, and the request itself is checked against the key's allowed origins (`checkOrigin`, 403).
 * The request's origin is echoed (never `*`) so that credentialed requests work too.
 */
export function ingestCors(opts: IngestCorsOptions = {}): MiddlewareHandler {
  const o = { ...DEFAULTS, ...opts };
  const methods = o.allowMethods.join(', ');
  return async function ingestCorsMiddleware(c, next) {
    const origin = c.req.header('origin');
    if (c.req.method === 'OPTIONS') {
      const headers = new Headers({ Vary: 'Origin, Access-Control-Request-Headers' });
      if (origin) {
        headers.set('Access-Control-Allow-Origin', origin);
        headers.set('Access-Control-Allow-Credentials', 'true');
        headers.set('Access-Control-Allow-Methods', methods);
        headers.set(
          'Access-Control-Allow-Headers',
          c.req.header('access-control-request-headers') ?? 'Content-Type, Authorization',
        );
        headers.set('Access-Control-Max-Age', String(o.maxAge));
      }
      return new Response(null, { status: 204, headers });
    }
    await next();
    if (origin) {
      // Set after the handler so that error responses (401, 403, 503) are readable by the page too.
      c.res.headers.set('Access-Control-Allow-Origin', origin);
      c.res.headers.set('Access-Control-Allow-Credentials', 'true');
      c.res.headers.append('Vary', 'Origin');
    }
  };
}
