import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

/**
 * A string cache with per-entry TTL: in memory by default, Redis when REDIS_URL is set. Reads and
 * writes degrade to misses when the store cannot answer; counters do not (a wrong counter would serve
 * stale answers), they throw.
 */
export interface KeyValueCache {
  get(key: string): Promise<string | undefined>;
  /** Several keys at once; missing ones are undefined. */
  getMany(keys: string[]): Promise<Array<string | undefined>>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** A counter's value (0 when never incremented). Counters are never evicted. */
  counter(key: string): Promise<number>;
  /** Increments a counter atomically; returns the new value. */
  incr(key: string): Promise<number>;
  /** Releases the connection, if the cache owns one. */
  close(): Promise<void>;
}

/** In-process cache bounded by size (keys and values, in characters); counters live beside it. */
export function memoryCache(maxChars = 64 * 1024 * 1024): KeyValueCache {
  const lru = new LRUCache<string, string>({
    maxSize: maxChars,
    sizeCalculation: (v, k) => v.length + k.length,
  });
  const counters = new Map<string, number>();
  return {
    async get(key) {
      return lru.get(key);
    },
    async getMany(keys) {
      return keys.map((k) => lru.get(k));
    },
    async set(key, value, ttlMs) {
      lru.set(key, value, { ttl: ttlMs });
    },
    async delete(key) {
      lru.delete(key);
    },
    async counter(key) {
      return counters.get(key) ?? 0;
    },
    async incr(key) {
      const n = (counters.get(key) ?? 0) + 1;
      counters.set(key, n);
      return n;
    },
    async close() {
      lru.clear();
    },
  };
}

/** Redis-backed cache; keys are prefixed. Errors of reads and writes degrade to misses. */
export function redisCache(
  redis: Redis,
  onError: (err: unknown) => void = () => {},
  prefix = 'heed:',
): KeyValueCache {
  const k = (key: string) => prefix + key;
  return {
    async get(key) {
      try {
        return (await redis.get(k(key))) ?? undefined;
      } catch (err) {
        onError(err);
        return undefined;
      }
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      try {
        return (await redis.mget(...keys.map(k))).map((v) => v ?? undefined);
      } catch (err) {
        onError(err);
        return keys.map(() => undefined);
      }
    },
    async set(key, value, ttlMs) {
      try {
        await redis.set(k(key), value, 'PX', ttlMs);
      } catch (err) {
        onError(err);
      }
    },
    async delete(key) {
      try {
        await redis.del(k(key));
      } catch (err) {
        onError(err);
      }
    },
    async counter(key) {
      return Number((await redis.get(k(key))) ?? 0);
    },
    async incr(key) {
      return redis.incr(k(key));
    },
    async close() {
      redis.disconnect();
    },
  };
}

/** Redis when a URL is given (shared by every instance), else in memory. */
export function createKeyValueCache(
  redisUrl: string | undefined,
  logger: { warn: (obj: object, msg: string) => void } = { warn: () => {} },
  prefix = 'heed:',
): KeyValueCache {
  if (!redisUrl) return memoryCache();
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: true });
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis cache error'));
  return redisCache(
    redis,
    (err) => logger.warn({ err: (err as Error).message }, 'redis cache error'),
    prefix,
  );
}
