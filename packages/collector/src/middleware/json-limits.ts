import type { MiddlewareHandler } from 'hono';
import { type BodyLimits, parseJson, readRawBody } from '../ingest/body.js';

export const API_BODY_LIMITS: BodyLimits = { maxBytes: 1024 * 1024, maxDepth: 32 };

/**
 * For JSON bodies of the REST API (but the `except` paths, e.g. file uploads that stream to disk): refuses bodies over `maxBytes` (413) or nested deeper than
 * `maxDepth` (400) before any handler parses them; the parsed body is then served from Hono's cache.
 */
export function jsonLimits(opts: Partial<BodyLimits> & { except?: string[] } = {}): MiddlewareHandler {
  const { except = [], ...rest } = opts;
  const limits = { ...API_BODY_LIMITS, ...rest } satisfies BodyLimits;
  return async function jsonLimitsMiddleware(c, next) {
    const type = c.req.header('content-type') ?? '';
    if (
      c.req.method === 'GET' ||
      c.req.method === 'HEAD' ||
      !/\bjson\b/i.test(type) ||
      !c.req.raw.body ||
      except.some((p) => c.req.path === p || c.req.path.startsWith(`${p}/`))
    ) {
      return next();
    }
    const raw = await readRawBody(c, limits);
    const text = raw.toString('utf8');
    if (text.trim() !== '') parseJson(raw, limits.maxDepth);
    // Hono caches bodies as promises (c.req.json() reads the cached text).
    (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
    await next();
  };
}
