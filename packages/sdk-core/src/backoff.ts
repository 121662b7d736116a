/** Longest Retry-After the SDK will honour, in ms. */
export const MAX_RETRY_AFTER_MS = 600_000;

/**
 * Delay before retry number `attempt` (1 = first retry): "full jitter", a uniform draw between 0
 * and min(cap, base * 2^(attempt-1)), so clients that failed together do not retry together.
 */
export const backoffDelay = (attempt: number, baseMs: number, capMs: number, random = Math.random): number =>
  Math.floor(random() * Math.min(capMs, baseMs * 2 ** (attempt - 1)));

/** Parses a Retry-After header (seconds or an HTTP date) into ms from now; null when absent or invalid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  const ms = value ? +value * 1000 || Date.parse(value) - now : NaN;
  return ms < 0 ? 0 : ms >= 0 ? Math.min(MAX_RETRY_AFTER_MS, ms) : null; // NaN is neither
}
