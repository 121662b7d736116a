import { DEFAULT_RATE_LIMITS, type RateLimits } from '../config.js';
import { Limiter, MemoryRateLimitStore, type RateLimitStore } from './rate-limit.js';

export type { RateLimitStore };

/** The collector's limits, all over one store (memory, or Redis shared by every instance). */
export interface Limits {
  /** Every request per client IP. */
  ip: Limiter;
  /** Authenticated API requests per user. */
  user: Limiter;
  /** Login and refresh per client IP. */
  auth: Limiter;
  /** Failed logins per client IP; login is refused while it is exhausted. */
  loginFailures: Limiter;
}

const MINUTE = 60_000;

export function createLimits(
  store: RateLimitStore = new MemoryRateLimitStore(),
  rules: Partial<RateLimits> = {},
): Limits {
  const r = { ...DEFAULT_RATE_LIMITS, ...rules };
  return {
    ip: new Limiter(store, 'ip', { limit: r.ipPerMinute, windowMs: MINUTE }),
    user: new Limiter(store, 'user', { limit: r.userPerMinute, windowMs: MINUTE }),
    auth: new Limiter(store, 'auth', { limit: r.authPerMinute, windowMs: MINUTE }),
    loginFailures: new Limiter(store, 'login-failures', {
      limit: r.loginFailuresPer15Min,
      windowMs: 15 * MINUTE,
    }),
  };
}
