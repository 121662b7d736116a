import { describe, expect, it } from 'vitest';
import { backoffDelay, MAX_RETRY_AFTER_MS, parseRetryAfter } from './backoff.js';

describe('backoffDelay', () => {
  it('draws between 0 and an exponentially growing, capped ceiling', () => {
    expect(backoffDelay(1, 500, 30_000, () => 0.5)).toBe(250);
    expect(backoffDelay(4, 500, 30_000, () => 0.5)).toBe(2000);
    expect(backoffDelay(20, 500, 30_000, () => 0.99)).toBe(29_700);
    expect(backoffDelay(3, 500, 30_000, () => 0)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 12:00:10 GMT', now)).toBe(10_000);
  });
  it('ignores garbage, clamps the past to 0 and the far future to the maximum', () => {
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('Sun, 22 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('86400', now)).toBe(MAX_RETRY_AFTER_MS);
  });
});
