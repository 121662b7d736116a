import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../../test/databases.js';
import { secretKey, signAccessToken } from '../auth/tokens.js';
import { startCollector, type TestCollector } from '../testing.js';
import { Limiter, MemoryRateLimitStore, type RateLimitStore, RedisRateLimitStore } from './rate-limit.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = () => `heed-test:${process.pid}:${Date.now()}:${Math.random().toString(36).slice(2)}:`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
afterAll(() => redis.quit());

describe.each(['memory', 'redis'] as const)('Limiter over the %s store', (kind) => {
  const store = (): RateLimitStore =>
    kind === 'memory' ? new MemoryRateLimitStore() : new RedisRateLimitStore(redis, prefix());

  it('lets exactly `limit` requests through a window, then answers with the time to the reset', async () => {
    const l = new Limiter(store(), 't', { limit: 3, windowMs: 60_000 });
    const d = [];
    for (let i = 0; i < 5; i++) d.push(await l.consume('a'));
    expect(d.map((x) => x.ok)).toEqual([true, true, true, false, false]);
    expect(d.map((x) => x.remaining)).toEqual([2, 1, 0, 0, 0]);
    const refused = d[3]!;
    expect(refused.ok || refused.retryAfterMs).toBeGreaterThan(59_000);
    expect((await l.consume('b')).ok).toBe(true); // counted per id
  });

  it('backs repeat offenders off exponentially', async () => {
    const l = new Limiter(store(), 'b', { limit: 1, windowMs: 150 });
    const retryAfter = async () => {
      const d = await l.consume('x');
      return d.ok ? 0 : d.retryAfterMs;
    };
    expect(await retryAfter()).toBe(0);
    const first = await retryAfter(); // first overflow: wait for the window
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(150);
    await sleep(170);
    expect(await retryAfter()).toBe(0);
    expect(await retryAfter()).toBe(300); // second overflow within the hour: 2 x window
    await sleep(170);
    expect(await retryAfter()).toBeGreaterThan(0); // still blocked after the window ended
    await sleep(170);
    expect(await retryAfter()).toBe(0);
    expect(await retryAfter()).toBe(600); // third: 4 x window
  });

  it('counts failures without consuming (check) for login lock-outs', async () => {
    const l = new Limiter(store(), 'f', { limit: 2, windowMs: 60_000 });
    expect((await l.check('ip')).ok).toBe(true);
    await l.consume('ip');
    await l.consume('ip');
    expect((await l.check('ip')).ok).toBe(false);
  });
});

/** GETs `path` `n` times at once, alternating between the instances; the statuses. */
async function burst(
  instances: TestCollector[],
  path: string,
  n: number,
  headers: Record<string, string> = {},
) {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      fetch(`${instances[i % instances.length]!.url}${path}`, { headers }).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      }),
    ),
  );
}

describe('rate limits shared by two collectors through Redis', () => {
  const started: TestCollector[] = [];
  afterAll(async () => {
    for (const s of started) await s.close();
  });
  const two = async (env: Record<string, string>, databaseUrl?: string) => {
    const shared = { REDIS_URL, REDIS_KEY_PREFIX: prefix(), ANALYSIS: 'off', ...env };
    const a = await startCollector({ env: shared, ...(databaseUrl ? { databaseUrl } : {}) });
    const b = await startCollector({ env: shared, ...(databaseUrl ? { databaseUrl } : {}) });
    started.push(a, b);
    return [a, b];
  };

  it('lets exactly the per-IP limit through, whichever instance answers', async () => {
    const instances = await two({ RATE_LIMIT_IP_PER_MIN: '25' });
    const statuses = await burst(instances, '/api/auth/me', 80);
    expect(statuses.filter((s) => s === 429)).toHaveLength(55);
    expect(statuses.filter((s) => s === 401)).toHaveLength(25);
    // Health checks are not limited.
    expect(await burst(instances, '/healthz', 4)).toEqual([200, 200, 200, 200]);
  });

  describe('per user, on a shared PostgreSQL database', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await freshDatabase('postgres');
    });
    afterAll(() => db.drop());

    it('lets exactly the per-user limit through across both instances', async () => {
      const instances = await two(
        { RATE_LIMIT_USER_PER_MIN: '10', RATE_LIMIT_IP_PER_MIN: '10000' },
        db.databaseUrl,
      );
      const org = await db.storage.createOrganization('Limits', `limits-${Math.random()}`);
      const user = await db.storage.users.create({
        organizationId: org,
        email: 'rl@example.com',
        passwordHash: 'x',
        role: 'viewer',
      });
      const token = await signAccessToken(secretKey('test-secret-test-secret-test-secret-0000'), {
        userId: user.id,
        organizationId: org,
        role: 'viewer',
      });
      const statuses = await burst(instances, '/api/auth/me', 30, { authorization: `Bearer ${token}` });
      expect(statuses.filter((s) => s === 200)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(20);
      const res = await fetch(`${instances[0]!.url}/api/auth/me`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(429);
      expect(res.headers.get('x-ratelimit-limit')).toBe('10');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });
});

describe('Redis store outage', () => {
  it('fails open (requests pass) and reports the error', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    const errors: Error[] = [];
    const l = new Limiter(new RedisRateLimitStore(down, prefix(), (e) => errors.push(e)), 'o', {
      limit: 1,
      windowMs: 60_000,
    });
    expect((await l.consume('x')).ok).toBe(true);
    expect((await l.consume('x')).ok).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
    down.disconnect();
  });
});
