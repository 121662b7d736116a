import type { JsonObject } from '@heed/protocol';
import type { Context, MiddlewareHandler } from 'hono';
import type { AnalysisServices } from './analysis/index.js';
import { type AccessClaims, secretKey } from './auth/tokens.js';
import { createCache, type InsightsCache } from './cache/index.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { type AuthVariables, requireAuth } from './middleware/auth.js';
import { applyDecision, clientIp } from './middleware/rate-limit.js';
import { createKeyResolver, type WriteKeyResolver } from './middleware/write-key.js';
import { Metrics } from './observability/metrics.js';
import { enrichFromStorage } from './realtime/enrich.js';
import type { Hub } from './realtime/hub.js';
import { type LiveOptions, LiveStream } from './realtime/stream.js';
import { CircuitBreaker } from './resilience/breaker.js';
import { databaseFailure, guardStorage } from './resilience/storage.js';
import { type InvalidationBus, localBus } from './security/invalidation.js';
import { createLimits, type Limits, type RateLimitStore } from './security/limits.js';
import { createPiiCipher, type PiiCipher } from './security/pii.js';
import { createVerifier } from './security/verifier.js';
import type { Role, Storage } from './storage/types.js';

/** What the app needs from the configuration (tests pass a partial one). */
export type AppConfig = Pick<Config, 'jwtSecret' | 'encryptionKey' | 'corsOrigins' | 'trustProxy'> &
  Partial<
    Pick<Config, 'redisUrl' | 'databaseUrl' | 'rateLimits' | 'previousEncryptionKeys' | 'metricsToken'>
  >;

export interface AppDeps {
  storage: Storage;
  logger: Logger;
  hub: Hub;
  config: AppConfig;
  /** Revocations to every instance's caches; default: this process only (serve.ts passes Redis). */
  invalidations?: InvalidationBus;
  /** Rate-limit counters; default: in memory (serve.ts passes a Redis store when REDIS_URL is set). */
  rateLimitStore?: RateLimitStore;
  /** Query cache; default: Redis with config.redisUrl, else in-process LRU. */
  cache?: InsightsCache;
  /** Sentiment pool, patterns and anomalies; absent (predict answers 503) when analysis is off. */
  analysis?: AnalysisServices | undefined;
  /** Prometheus metrics; default: a fresh registry (serve.ts passes the process's). */
  metrics?: Metrics;
  /** Database circuit breaker; default: a fresh one (serve.ts shares its own with analysis). */
  databaseBreaker?: CircuitBreaker;
  /** Live stream settings (heartbeat, coalescing window, replay buffer, slow-client limit). */
  stream?: Partial<LiveOptions> | undefined;
}

/** Shared by every route module: dependencies plus ready-made auth middleware. */
export interface AppContext extends AppDeps {
  jwtKey: Uint8Array;
  /** Access JWT required; only the given roles (default: all). */
  auth(roles?: readonly Role[]): MiddlewareHandler<{ Variables: AuthVariables }>;
  /** Write/secret key -> its record (cached); throws 401 for unknown or revoked keys. */
  resolveKey: WriteKeyResolver;
  /** Encrypts customer PII before storage; decrypts it for readers. */
  pii: PiiCipher;
  limits: Limits;
  /** The client address (X-Forwarded-For only with TRUST_PROXY). */
  clientIp(c: Context): string;
  /**
   * Forgets the cached verification of a user's tokens (after logout, role or password changes), in
   * this process at once and in the others through Redis when it is configured.
   */
  invalidateUser(organizationId: string, userId: string): Promise<void>;
  /** Forgets every cached API key (after a revocation), here and in the other instances. */
  invalidateKeys(): Promise<void>;
  /** Appends an admin action to the audit log, with the caller and its IP. */
  audit(
    c: Context,
    entry: { action: string; resourceType: string; resourceId: string | null; details?: JsonObject },
  ): Promise<void>;
  /** Insights query cache, invalidated per organization by interaction.created / sentiment.analyzed. */
  cache: InsightsCache;
  /**
   * Metrics seam: `metrics.request()`, `ingested()`, `analyzed()`, `sseOpened()` / `sseSent()` ...
   * Served at /metrics.
   */
  metrics: Metrics;
  /** SSE side of the hub: replay buffer, coalescing, heartbeats (GET /v1/stream, widgets). */
  live: LiveStream;
}

export function createContext(input: AppDeps): AppContext {
  // Every storage call goes through the database circuit breaker and is timed (see resilience/).
  const metrics = input.metrics ?? new Metrics();
  const breaker =
    input.databaseBreaker ?? new CircuitBreaker({ name: 'database', isFailure: databaseFailure });
  const deps: AppDeps = {
    ...input,
    metrics,
    storage: guardStorage(input.storage, {
      breaker,
      logger: input.logger,
      onQuery: (operation, seconds) => metrics.query(operation, seconds),
    }),
  };
  const jwtKey = secretKey(deps.config.jwtSecret);
  const verifier = createVerifier(deps.storage);
  const limits = createLimits(deps.rateLimitStore, deps.config.rateLimits);
  const trustProxy = deps.config.trustProxy;
  const ipOf = (c: Context) => clientIp(c, trustProxy);
  const resolveKey = createKeyResolver({ storage: deps.storage });
  const bus = deps.invalidations ?? localBus();
  bus.subscribe((m) => {
    if (m.kind === 'user') verifier.invalidate(m.organizationId, m.userId);
    else resolveKey.invalidate();
  });
  /** A secret key acts as an admin of its organization (server-side admin API); write keys do not. */
  const secretKeyClaims = async (key: string): Promise<AccessClaims | null> => {
    if (!key.startsWith('hk_s_')) return null;
    const rec = await resolveKey(key).catch(() => null);
    if (rec?.kind !== 'secret') return null;
    const now = Date.now();
    return {
      userId: rec.id,
      organizationId: rec.organizationId,
      role: 'admin',
      issuedAt: Math.floor(now / 1000),
      issuedAtMs: now,
      tokenId: rec.id,
      apiKeyId: rec.id,
    };
  };
  const cache = deps.cache ?? createCache({ redisUrl: deps.config.redisUrl });
  deps.hub.subscribe((organizationId, event) => {
    if (event.type === 'interaction.created' || event.type === 'sentiment.analyzed')
      void cache.invalidate(organizationId);
  });
  const pool = (input.storage as { pool?: { totalCount: number; idleCount: number; waitingCount: number } })
    .pool;
  metrics.watch({ cache, breakers: [breaker], ...(pool ? { dbPool: pool } : {}) });
  const live = new LiveStream({
    hub: deps.hub,
    options: deps.stream,
    metrics,
    enrich: enrichFromStorage(deps.storage),
    validEmbedTokens: async (ids) => new Set(await deps.storage.live.validEmbedTokens(ids)),
    validUser: verifier.isValid,
  });
  return {
    ...deps,
    metrics,
    cache,
    live,
    jwtKey,
    resolveKey,
    pii: createPiiCipher(deps.config.encryptionKey, deps.config.previousEncryptionKeys ?? []),
    limits,
    clientIp: ipOf,
    invalidateUser: (organizationId, userId) => bus.publish({ kind: 'user', organizationId, userId }),
    invalidateKeys: () => bus.publish({ kind: 'keys' }),
    audit: async (c, entry) => {
      const caller = (c.get as (k: string) => AuthVariables['auth'] | undefined)('auth');
      if (!caller) throw new Error('audit() needs an authenticated request');
      await deps.storage.audit.append({
        ...entry,
        ...(caller.apiKeyId ? { details: { ...entry.details, apiKeyId: caller.apiKeyId } } : {}),
        organizationId: caller.organizationId,
        userId: caller.apiKeyId ? null : caller.userId,
        ip: ipOf(c),
      });
    },
    auth: (roles) => {
      const verify = requireAuth({
        secret: jwtKey,
        ...(roles ? { roles } : {}),
        isValid: verifier.isValid,
        secretKey: secretKeyClaims,
      });
      return async function authMiddleware(c, next) {
        await verify(c, async () => {
          if (limits.user.enabled) {
            const { userId } = c.get('auth');
            applyDecision(c, await limits.user.consume(userId), {
              limiter: limits.user.name,
              logger: deps.logger,
              ip: ipOf(c),
              userId,
            });
          }
          await next();
        });
      };
    },
  };
}
