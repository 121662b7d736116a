import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CONFIG, userWithToken } from '../../test/app.js';
import { freshDatabase, type TestDatabase } from '../../test/databases.js';
import { row, setSentiment } from '../../test/insights-seed.js';
import { createApp } from '../app.js';
import { createLogger } from '../logger.js';
import { Hub } from '../realtime/hub.js';
import { createCache, hashParams, type InsightsCache } from './index.js';

const REDIS_URL = process.env.HEED_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe.each(['memory', 'redis'] as const)('insights cache (%s)', (kind) => {
  let cache: InsightsCache;
  const prefix = `heed:test:${randomUUID()}:`;
  beforeAll(() => {
    cache = createCache(kind === 'redis' ? { redisUrl: REDIS_URL, redisPrefix: prefix } : {});
  });
  afterAll(async () => {
    if (kind === 'redis') {
      const r = new Redis(REDIS_URL);
      const keys = await r.keys(`${prefix}*`);
      if (keys.length) await r.del(...keys);
      r.disconnect();
    }
    await cache.close();
  });

  it('serves a repeated query from the cache and counts hits and misses', async () => {
    let computed = 0;
    const compute = async () => ({ n: ++computed });
    expect(await cache.wrap('org-1', 'metrics', { a: 1, b: [2] }, 60_000, compute)).toEqual({ n: 1 });
    expect(await cache.wrap('org-1', 'metrics', { b: [2], a: 1 }, 60_000, compute)).toEqual({ n: 1 });
    expect(computed).toBe(1);
    expect(cache.counters.hits).toBe(1);
    expect(cache.counters.misses).toBe(1);
    expect(cache.counters.byEndpoint.metrics).toEqual({ hits: 1, misses: 1 });
  });

  it('keeps organizations and endpoints apart', async () => {
    const a = await cache.wrap('org-a', 'x', { p: 1 }, 60_000, async () => 'a');
    const b = await cache.wrap('org-b', 'x', { p: 1 }, 60_000, async () => 'b');
    const c = await cache.wrap('org-a', 'y', { p: 1 }, 60_000, async () => 'c');
    expect([a, b, c]).toEqual(['a', 'b', 'c']);
  });

  it('drops an organization’s answers on invalidate, and only that organization’s', async () => {
    await cache.wrap('org-c', 'x', {}, 60_000, async () => 'old');
    await cache.wrap('org-d', 'x', {}, 60_000, async () => 'kept');
    await cache.invalidate('org-c');
    expect(await cache.wrap('org-c', 'x', {}, 60_000, async () => 'new')).toBe('new');
    expect(await cache.wrap('org-d', 'x', {}, 60_000, async () => 'recomputed')).toBe('kept');
  });

  it('expires answers after their TTL', async () => {
    await cache.wrap('org-e', 'x', {}, 30, async () => 'first');
    await new Promise((r) => setTimeout(r, 60));
    expect(await cache.wrap('org-e', 'x', {}, 30, async () => 'second')).toBe('second');
  });
});

describe('cache failures', () => {
  it('answers from the source when Redis is unreachable', async () => {
    const cache = createCache({ redisUrl: 'redis://127.0.0.1:1' });
    expect(await cache.wrap('o', 'x', {}, 1000, async () => 42)).toBe(42);
    await cache.close();
  });

  it('hashes parameters independently of key order', () => {
    expect(hashParams({ a: 1, b: 'x' })).toBe(hashParams({ b: 'x', a: 1 }));
    expect(hashParams({ a: 1 })).not.toBe(hashParams({ a: 2 }));
  });
});

describe('cache invalidation by the live events', () => {
  let db: TestDatabase;
  afterAll(() => db.drop());

  it('serves the second metrics request from the cache until sentiment.analyzed', async () => {
    db = await freshDatabase('sqlite');
    const org = await db.storage.createOrganization('C', `c-${Math.random()}`);
    const hub = new Hub();
    const cache = createCache();
    const app = createApp({
      storage: db.storage,
      logger: createLogger('silent'),
      hub,
      config: TEST_CONFIG,
      cache,
    });
    const { headers } = await userWithToken(db.storage, org, 'viewer');
    await db.storage.ingest(org, [row({ messageId: 'c-1' })]);
    const metrics = async () =>
      (await (await app.request('/api/insights/metrics', { headers })).json()) as { scored: number };
    expect((await metrics()).scored).toBe(0);
    await setSentiment(db.storage, 'c-1', 0.9);
    expect((await metrics()).scored).toBe(0); // cached: the write did not announce itself
    expect(cache.counters.hits).toBe(1);
    hub.publish(org, { type: 'sentiment.analyzed', data: {} });
    expect((await metrics()).scored).toBe(1);
    expect(cache.counters).toMatchObject({ hits: 1, misses: 2 });
  });
});
