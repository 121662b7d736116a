import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { HeedError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LimitDecision, Limiter } from '../security/rate-limit.js';

/**
 * The client's address. Behind a trusted proxy: the last X-Forwarded-For entry, the one the proxy
 * appended (earlier entries come from the client and could be forged to dodge rate limits); else the
 * socket's address.
 */
export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // in-process requests (tests) have no socket
  }
}

const tightest = new WeakMap<Request, number>();

/**
 * Sets X-RateLimit-Limit / -Remaining / -Reset (epoch seconds) from the tightest limit seen so far on
 * this request, and answers 429 with Retry-After when the decision refuses it.
 */
export function applyDecision(
  c: Context,
  d: LimitDecision,
  info: { limiter: string; logger: Logger; ip: string; userId?: string | undefined },
): void {
  const current = tightest.get(c.req.raw) ?? Number.POSITIVE_INFINITY;
  if (d.remaining <= current) {
    tightest.set(c.req.raw, d.remaining);
    c.header('X-RateLimit-Limit', String(d.limit));
    c.header('X-RateLimit-Remaining', String(d.remaining));
    c.header('X-RateLimit-Reset', String(Math.ceil((Date.now() + d.resetMs) / 1000)));
  }
  if (d.ok) return;
  const retryAfter = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
  info.logger.warn(
    {
      limiter: info.limiter,
      ip: info.ip,
      userId: info.userId,
      method: c.req.method,
      path: c.req.path,
      repeat: d.repeat,
      retryAfter,
    },
    'rate limit exceeded',
  );
  throw new HeedError('rate_limited', `Too many requests; retry in ${retryAfter} s`, { retryAfter });
}

export interface RateLimitOptions {
  limiter: Limiter;
  logger: Logger;
  trustProxy: boolean;
  /** What the limit counts by. Default: the client IP. Return undefined to skip the request. */
  key?: (c: Context, ip: string) => string | undefined;
}

/** A rate limit on the routes it is mounted on. */
export function rateLimit(opts: RateLimitOptions): MiddlewareHandler {
  const key = opts.key ?? ((_c: Context, ip: string) => ip);
  return async function rateLimitMiddleware(c, next) {
    if (!opts.limiter.enabled) return next();
    const ip = clientIp(c, opts.trustProxy);
    const id = key(c, ip);
    if (id === undefined) return next();
    const d = await opts.limiter.consume(id);
    applyDecision(c, d, { limiter: opts.limiter.name, logger: opts.logger, ip });
    await next();
  };
}
