import { createHash } from 'node:crypto';
import { createKeyValueCache, type KeyValueCache, memoryCache } from './kv.js';

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

export class InsightsCache {
  readonly counters: CacheCounters = { hits: 0, misses: 0, byEndpoint: {} };

  constructor(private readonly kv: KeyValueCache) {}

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
      const gen = await this.kv.counter(`gen:${organizationId}`);
      key = `cache:${organizationId}:${gen}:${endpoint}:${hashParams(params)}`;
      const hit = await this.kv.get(key);
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
    if (key) await this.kv.set(key, JSON.stringify(value), ttlMs);
    return value;
  }

  /** Every cached answer of the organization becomes stale. */
  invalidate(organizationId: string): Promise<void> {
    return this.kv.incr(`gen:${organizationId}`).then(
      () => {},
      () => {},
    );
  }

  close(): Promise<void> {
    return this.kv.close();
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
      ? createKeyValueCache(opts.redisUrl, undefined, opts.redisPrefix ?? 'heed:cache:')
      : memoryCache(opts.maxBytes),
  );
}
