import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

/** How long each kind of answer may be served from the cache (invalidation usually comes first). */
export const CACHE_TTL_MS = {
  aggregation: 5 * 60_000,
  profile: 10 * 60_000,
  trends: 15 * 60_000,
} as const;

export interface CacheCounters {
  hits: number;
  misses: number;
  /** Per endpoint name. */
  byEndpoint: Record<string, { hits: number; misses: number }>;
}

/** Where cached answers live: in this process (LRU) or in Redis (shared by every instance). */
interface Backend {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** The organization's generation: bumped by every write that can change an answer. */
  generation(organizationId: string): Promise<number>;
  bump(organizationId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Read-through cache for the insights API. Keys are `{org}:{generation}:{endpoint}:{hash(params)}`:
 * answers are scoped by organization, and bumping the organization's generation (on
 * `interaction.created` / `sentiment.analyzed`) makes every older answer unreachable at once.
 */
export class InsightsCache {
  readonly counters: CacheCounters = { hits: 0, misses: 0, byEndpoint: {} };

  constructor(private readonly backend: Backend) {}

  async wrap<T>(
    organizationId: string,
    endpoint: string,
    params: unknown,
    ttlMs: number,
    compute: () => Promise<T>,
  ): Promise<T> {
    const per = this.counters.byEndpoint[endpoint] ?? { hits: 0, misses: 0 };
    this.counters.byEndpoint[endpoint] = per;
    let key: string | undefined;
    try {
      const gen = await this.backend.generation(organizationId);
      key = `${organizationId}:${gen}:${endpoint}:${hashParams(params)}`;
      const hit = await this.backend.get(key);
      if (hit !== undefined) {
        this.counters.hits++;
        per.hits++;
        return JSON.parse(hit) as T;
      }
    } catch {
      key = undefined; // cache unavailable: answer from the database
    }
    this.counters.misses++;
    per.misses++;
    const value = await compute();
    if (key) await this.backend.set(key, JSON.stringify(value), ttlMs).catch(() => {});
    return value;
  }

  /** Every cached answer of the organization becomes stale. */
  invalidate(organizationId: string): Promise<void> {
    return this.backend.bump(organizationId).catch(() => {});
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

/** A stable hash of the parameters: key order does not matter. */
export function hashParams(params: unknown): string {
  return createHash('sha256').update(stableJson(params)).digest('base64url').slice(0, 22);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function memoryBackend(opts: { maxBytes?: number } = {}): Backend {
  const lru = new LRUCache<string, string>({
    maxSize: opts.maxBytes ?? 64 * 1024 * 1024,
    sizeCalculation: (v, k) => v.length + k.length,
  });
  const generations = new Map<string, number>();
  return {
    async get(key) {
      return lru.get(key);
    },
    async set(key, value, ttlMs) {
      lru.set(key, value, { ttl: ttlMs });
    },
    async generation(org) {
      return generations.get(org) ?? 0;
    },
    async bump(org) {
      generations.set(org, (generations.get(org) ?? 0) + 1);
    },
    async close() {
      lru.clear();
    },
  };
}

function redisBackend(url: string, prefix: string): Backend {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true });
  redis.on('error', () => {}); // failures surface per call and fall back to the database
  const genKey = (org: string) => `${prefix}gen:${org}`;
  return {
    async get(key) {
      return (await redis.get(prefix + key)) ?? undefined;
    },
    async set(key, value, ttlMs) {
      await redis.set(prefix + key, value, 'PX', ttlMs);
    },
    async generation(org) {
      return Number((await redis.get(genKey(org))) ?? 0);
    },
    async bump(org) {
      await redis.incr(genKey(org));
    },
    async close() {
      redis.disconnect();
    },
  };
}

export interface CacheOptions {
  /** redis:// URL: a cache shared by every collector instance; otherwise an in-process LRU. */
  redisUrl?: string | undefined;
  /** Key prefix in Redis. Default `heed:cache:`. */
  redisPrefix?: string;
  /** Memory budget of the in-process LRU. Default 64 MiB. */
  maxBytes?: number;
}

export function createCache(opts: CacheOptions = {}): InsightsCache {
  return new InsightsCache(
    opts.redisUrl
      ? redisBackend(opts.redisUrl, opts.redisPrefix ?? 'heed:cache:')
      : memoryBackend(opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes }),
  );
}
