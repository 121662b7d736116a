import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

/** A string cache with per-entry TTL: in memory by default, Redis when REDIS_URL is set. */
export interface KeyValueCache {
  get(key: string): Promise<string | undefined>;
  /** Several keys at once; missing ones are undefined. */
  getMany(keys: string[]): Promise<Array<string | undefined>>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

export function memoryCache(maxEntries = 50_000): KeyValueCache {
  const lru = new LRUCache<string, string>({ max: maxEntries, ttlAutopurge: false });
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
  };
}

/** Redis-backed cache; errors degrade to misses so a Redis outage never fails a request. */
export function redisCache(redis: Redis, onError: (err: unknown) => void = () => {}): KeyValueCache {
  return {
    async get(key) {
      try {
        return (await redis.get(key)) ?? undefined;
      } catch (err) {
        onError(err);
        return undefined;
      }
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      try {
        return (await redis.mget(...keys)).map((v) => v ?? undefined);
      } catch (err) {
        onError(err);
        return keys.map(() => undefined);
      }
    },
    async set(key, value, ttlMs) {
      try {
        await redis.set(key, value, 'PX', ttlMs);
      } catch (err) {
        onError(err);
      }
    },
    async delete(key) {
      try {
        await redis.del(key);
      } catch (err) {
        onError(err);
      }
    },
  };
}

/** Redis when a URL is given (shared by every instance), else in memory. */
export function createKeyValueCache(
  redisUrl: string | undefined,
  logger: { warn: (obj: object, msg: string) => void },
): { cache: KeyValueCache; close(): Promise<void> } {
  if (!redisUrl) return { cache: memoryCache(), close: async () => {} };
  const redis = new Redis(redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
  });
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  return {
    cache: redisCache(redis, (err) => logger.warn({ err: (err as Error).message }, 'redis cache error')),
    close: async () => {
      redis.disconnect();
    },
  };
}
