import type { Context, MiddlewareHandler } from 'hono';
import { LRUCache } from 'lru-cache';
import { HeedError } from '../errors.js';
import { hashApiKey } from '../keys.js';
import type { ApiKeyRecord, Storage } from '../storage/types.js';

export interface WriteKeyOptions {
  storage: Storage;
  /** How long a looked-up key is trusted before it is read again (ms). Default 30 s. */
  cacheTtlMs?: number;
}

export type WriteKeyResolver = ((key: string) => Promise<ApiKeyRecord>) & {
  /** Forgets every cached key (after a revocation), so the next request reads the database. */
  invalidate(): void;
};

/** The key from `Authorization: Bearer <key>` or `Basic base64(key:)`, Segment's way; undefined when absent. */
export function keyFromHeader(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
    const user = decoded.split(':')[0];
    return user || undefined;
  }
  return undefined;
}

/**
 * Resolves write (or secret) keys to their organization, with a small cache so that ingest does not
 * read the key table on every request. Revoked and unknown keys answer 401.
 */
export function createKeyResolver(opts: WriteKeyOptions): WriteKeyResolver {
  const cache = new LRUCache<string, ApiKeyRecord | 'missing'>({
    max: 10_000,
    ttl: opts.cacheTtlMs ?? 30_000,
  });
  const resolveKey = async function resolveKey(key: string) {
    const hash = hashApiKey(key);
    let rec = cache.get(hash);
    if (rec === undefined) {
      rec = (await opts.storage.findApiKeyByHash(hash)) ?? 'missing';
      cache.set(hash, rec);
    }
    if (rec === 'missing' || rec.revokedAt !== null)
      throw new HeedError('unauthorized', 'Invalid or revoked write key');
    return rec;
  };
  return Object.assign(resolveKey, { invalidate: () => cache.clear() });
}

/** Checks the key's allowed origins against the request's Origin (browsers); 403 when not allowed. */
export function checkOrigin(c: Context, key: ApiKeyRecord): void {
  const origin = c.req.header('origin');
  if (!origin || !key.allowedOrigins || key.allowedOrigins.length === 0) return;
  if (!key.allowedOrigins.includes(origin)) {
    throw new HeedError('forbidden', `Origin ${origin} is not allowed for this write key`);
  }
}

/** Middleware for routes whose key is always in the Authorization header. */
export function writeKeyAuth(
  resolve: WriteKeyResolver,
): MiddlewareHandler<{ Variables: { apiKey: ApiKeyRecord } }> {
  return async function writeKeyAuthMiddleware(c, next) {
    const key = keyFromHeader(c.req.header('authorization'));
    if (!key) throw new HeedError('unauthorized', 'Missing write key: send Authorization: Bearer <writeKey>');
    const rec = await resolve(key);
    checkOrigin(c, rec);
    c.set('apiKey', rec);
    await next();
  };
}
