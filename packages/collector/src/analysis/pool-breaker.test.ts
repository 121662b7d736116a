import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../resilience/breaker.js';
import { SentimentPool } from './pool.js';

describe('analysis pool circuit breaker', () => {
  const pool = new SentimentPool({
    threads: 1,
    taskTimeoutMs: 100,
    filename: join(import.meta.dirname, '../../test/fixtures/stuck-worker.mjs'),
    breaker: new CircuitBreaker({
      name: 'analysis',
      failureThreshold: 2,
      cooldownMs: 60_000,
      isFailure: () => true,
    }),
  });
  afterAll(() => pool.close());

  it('after consecutive timeouts, answers 503 with Retry-After at once instead of waiting for a wedged pool', async () => {
    for (let i = 0; i < 2; i++) {
      await expect(pool.predict(['hello'])).rejects.toMatchObject({
        status: 503,
        code: 'service_unavailable',
      });
    }
    expect(pool.available).toBe(false); // the dispatcher releases its rows and backs off
    const started = performance.now();
    const err = await pool.predict(['hello']).catch((e) => e);
    expect(performance.now() - started).toBeLessThan(50);
    expect(err).toMatchObject({ status: 503, retryAfter: 60 });
    expect(pool.breaker.state).toBe('open');
  });
});
