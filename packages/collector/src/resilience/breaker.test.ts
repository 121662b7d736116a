import { describe, expect, it } from 'vitest';
import { HeedError } from '../errors.js';
import { CircuitBreaker } from './breaker.js';

const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

function breaker() {
  let now = 0;
  const states: string[] = [];
  const b = new CircuitBreaker({
    name: 'database',
    failureThreshold: 3,
    cooldownMs: 5000,
    isFailure: (e) => (e as { code?: string }).code === 'ECONNREFUSED',
    onStateChange: (s) => states.push(s),
    now: () => now,
  });
  return { b, states, advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after consecutive failures and then refuses at once with a 503 and Retry-After', async () => {
    const { b, states, advance } = breaker();
    for (let i = 0; i < 3; i++) await expect(b.run(() => Promise.reject(down))).rejects.toBe(down);
    expect(b.state).toBe('open');
    advance(1200);
    let called = false;
    const refused = await b
      .run(async () => {
        called = true;
      })
      .catch((e) => e);
    expect(called).toBe(false);
    expect(refused).toBeInstanceOf(HeedError);
    expect(refused).toMatchObject({ status: 503, retryAfter: 4 });
    expect(states).toEqual(['open']);
  });

  it('lets one trial call through after the cooldown: success closes, failure re-opens', async () => {
    const { b, advance } = breaker();
    for (let i = 0; i < 3; i++) await b.run(() => Promise.reject(down)).catch(() => {});
    advance(5000);
    expect(b.state).toBe('half-open');
    await b.run(() => Promise.reject(down)).catch(() => {});
    expect(b.state).toBe('open');
    advance(5000);
    let release!: () => void;
    const trial = b.run(() => new Promise<void>((r) => (release = r)));
    // While the trial runs, others are still refused.
    await expect(b.run(async () => 1)).rejects.toMatchObject({ code: 'service_unavailable' });
    release();
    await trial;
    expect(b.state).toBe('closed');
    expect(await b.run(async () => 42)).toBe(42);
  });

  it('ignores errors that are not outages (a bad query does not open the circuit)', async () => {
    const { b } = breaker();
    const bad = Object.assign(new Error('duplicate key'), { code: '23505' });
    for (let i = 0; i < 10; i++) await b.run(() => Promise.reject(bad)).catch(() => {});
    expect(b.state).toBe('closed');
    // Failures must be consecutive: a success in between resets the count.
    await b.run(() => Promise.reject(down)).catch(() => {});
    await b.run(() => Promise.reject(down)).catch(() => {});
    await b.run(async () => 1);
    await b.run(() => Promise.reject(down)).catch(() => {});
    expect(b.state).toBe('closed');
  });
});
