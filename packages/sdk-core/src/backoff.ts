/** Longest Retry-After the SDK will honour, in ms. */
export const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

/**
 * Delay before retry number `attempt` (1 = first retry): "full jitter", a uniform draw between 0
 * and min(cap, base * 2^(attempt-1)), so clients that failed together do not retry together.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Parses a Retry-After header (seconds or an HTTP date) into ms from now; null when absent or invalid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const v = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (!Number.isFinite(at)) return null;
    ms = at - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(ms)));
}
