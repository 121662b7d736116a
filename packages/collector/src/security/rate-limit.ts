import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

export interface WindowCount {
  count: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

/**
 * Fixed-window counters. With Redis every instance shares them and each hit is one atomic script
 * (INCR + PEXPIRE), so N instances together let through exactly `limit` requests per window.
 */
export interface RateLimitStore {
  hit(key: string, windowMs: number): Promise<WindowCount>;
  peek(key: string): Promise<WindowCount>;
  /** Blocks the key for `ms` (repeat offenders). */
  block(key: string, ms: number): Promise<void>;
  /** Milliseconds the key stays blocked (0 when it is not). */
  blockedFor(key: string): Promise<number>;
  reset(key: string): Promise<void>;
}

export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new LRUCache<string, { count: number; resetAt: number }>({ max: 100_000 });
  private readonly blocks = new LRUCache<string, number>({ max: 100_000 });

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + windowMs };
      this.windows.set(key, w, { ttl: windowMs });
    }
    w.count++;
    return { count: w.count, resetMs: w.resetAt - now };
  }

  async peek(key: string): Promise<WindowCount> {
    const now = Date.now();
    const w = this.windows.get(key);
    return !w || w.resetAt <= now ? { count: 0, resetMs: 0 } : { count: w.count, resetMs: w.resetAt - now };
  }

  async block(key: string, ms: number): Promise<void> {
    this.blocks.set(key, Date.now() + ms, { ttl: ms });
  }

  async blockedFor(key: string): Promise<number> {
    const until = this.blocks.get(key);
    return until === undefined ? 0 : Math.max(0, until - Date.now());
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
    this.blocks.delete(key);
  }
}

const HIT_SCRIPT = `
local c = redis.call('INCR', KEYS[1])
local t = redis.call('PTTL', KEYS[1])
if t < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  t = tonumber(ARGV[1])
end
return {c, t}`;

type RedisWithHit = Redis & { heedRateHit(key: string, windowMs: number): Promise<[number, number]> };

export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: RedisWithHit;

  /**
   * `prefix` namespaces the keys (e.g. one per deployment or per test). When Redis cannot answer, the
   * limits fail open (requests pass) and `onError` is told: an outage of Redis must not take the
   * collector down with it.
   */
  constructor(
    redis: Redis,
    private readonly prefix = 'heed:rl:',
    private readonly onError: (err: Error) => void = () => {},
  ) {
    if (!('heedRateHit' in redis)) redis.defineCommand('heedRateHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    this.redis = redis as RedisWithHit;
  }

  private async safe<T>(fallback: T, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      this.onError(err as Error);
      return fallback;
    }
  }

  hit(key: string, windowMs: number): Promise<WindowCount> {
    return this.safe({ count: 0, resetMs: windowMs }, async () => {
      const [count, resetMs] = await this.redis.heedRateHit(this.prefix + key, windowMs);
      return { count, resetMs };
    });
  }

  peek(key: string): Promise<WindowCount> {
    return this.safe({ count: 0, resetMs: 0 }, async () => {
      const k = this.prefix + key;
      const r = await this.redis.multi().get(k).pttl(k).exec();
      const count = Number(r?.[0]?.[1] ?? 0);
      const ttl = Number(r?.[1]?.[1] ?? 0);
      return { count, resetMs: Math.max(0, ttl) };
    });
  }

  block(key: string, ms: number): Promise<void> {
    return this.safe(undefined, async () => {
      await this.redis.set(`${this.prefix}block:${key}`, '1', 'PX', Math.max(1, Math.round(ms)));
    });
  }

  blockedFor(key: string): Promise<number> {
    return this.safe(0, async () => Math.max(0, await this.redis.pttl(`${this.prefix}block:${key}`)));
  }

  reset(key: string): Promise<void> {
    return this.safe(undefined, async () => {
      await this.redis.del(this.prefix + key, `${this.prefix}block:${key}`);
    });
  }
}

export interface LimitRule {
  /** Requests per window; 0 disables the rule. */
  limit: number;
  windowMs: number;
}

export type LimitDecision =
  | { ok: true; limit: number; remaining: number; resetMs: number }
  | { ok: false; limit: number; remaining: 0; resetMs: number; retryAfterMs: number; repeat: number };

const OFFENCE_WINDOW_MS = 60 * 60 * 1000;
const MAX_BLOCK_MS = 60 * 60 * 1000;

/**
 * One named limit over a store. A client that overflows the window again within an hour is blocked for
 * windowMs x 2^(n-1) (n = overflows in the hour, capped at an hour): repeat offenders back off
 * exponentially.
 */
export class Limiter {
  constructor(
    private readonly store: RateLimitStore,
    readonly name: string,
    readonly rule: LimitRule,
  ) {}

  get enabled(): boolean {
    return this.rule.limit > 0;
  }

  /** Counts one request of `id` and decides. */
  async consume(id: string): Promise<LimitDecision> {
    const key = `${this.name}:${id}`;
    const blocked = await this.store.blockedFor(key);
    if (blocked > 0) return this.refuse(blocked, blocked, 0);
    const w = await this.store.hit(key, this.rule.windowMs);
    if (w.count <= this.rule.limit) {
      return { ok: true, limit: this.rule.limit, remaining: this.rule.limit - w.count, resetMs: w.resetMs };
    }
    if (w.count === this.rule.limit + 1) {
      // First overflow of this window: count the offence; the second within an hour starts blocking.
      const offences = (await this.store.hit(`${key}:offences`, OFFENCE_WINDOW_MS)).count;
      if (offences >= 2) {
        const ms = Math.min(MAX_BLOCK_MS, this.rule.windowMs * 2 ** (offences - 1));
        await this.store.block(key, ms);
        return this.refuse(ms, ms, offences);
      }
      return this.refuse(w.resetMs, w.resetMs, offences);
    }
    return this.refuse(w.resetMs, w.resetMs, 0);
  }

  /** Whether `id` is over the limit, without counting a request (e.g. failed logins). */
  async check(id: string): Promise<LimitDecision> {
    const key = `${this.name}:${id}`;
    const blocked = await this.store.blockedFor(key);
    if (blocked > 0) return this.refuse(blocked, blocked, 0);
    const w = await this.store.peek(key);
    if (w.count < this.rule.limit) {
      return { ok: true, limit: this.rule.limit, remaining: this.rule.limit - w.count, resetMs: w.resetMs };
    }
    return this.refuse(w.resetMs, w.resetMs, 0);
  }

  async reset(id: string): Promise<void> {
    await this.store.reset(`${this.name}:${id}`);
  }

  private refuse(resetMs: number, retryAfterMs: number, repeat: number): LimitDecision {
    return { ok: false, limit: this.rule.limit, remaining: 0, resetMs, retryAfterMs, repeat };
  }
}
