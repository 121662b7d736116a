import type { MiddlewareHandler } from 'hono';
import { secretKey } from './auth/tokens.js';
import { createCache, type InsightsCache } from './cache/index.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import { type AuthVariables, requireAuth } from './middleware/auth.js';
import { createKeyResolver, type WriteKeyResolver } from './middleware/write-key.js';
import type { Hub } from './realtime/hub.js';
import type { Role, Storage } from './storage/types.js';

/** What the app needs from the configuration (tests pass a partial one). */
export type AppConfig = Pick<Config, 'jwtSecret' | 'encryptionKey' | 'corsOrigins' | 'trustProxy'> &
  Partial<Pick<Config, 'redisUrl' | 'databaseUrl'>>;

export interface AppDeps {
  storage: Storage;
  logger: Logger;
  hub: Hub;
  config: AppConfig;
  /** Query cache; default: Redis with config.redisUrl, else in-process LRU. */
  cache?: InsightsCache;
}

/** Shared by every route module: dependencies plus ready-made auth middleware. */
export interface AppContext extends AppDeps {
  jwtKey: Uint8Array;
  /** Access JWT required; only the given roles (default: all). */
  auth(roles?: readonly Role[]): MiddlewareHandler<{ Variables: AuthVariables }>;
  /** Write/secret key -> its record (cached); throws 401 for unknown or revoked keys. */
  resolveKey: WriteKeyResolver;
  /** Insights query cache, invalidated per organization by interaction.created / sentiment.analyzed. */
  cache: InsightsCache;
}

export function createContext(deps: AppDeps): AppContext {
  const jwtKey = secretKey(deps.config.jwtSecret);
  const isValid = async (claims: { organizationId: string; userId: string }) => {
    const user = await deps.storage.users.findById(claims.organizationId, claims.userId);
    return user?.isActive === true;
  };
  const cache = deps.cache ?? createCache({ redisUrl: deps.config.redisUrl });
  deps.hub.subscribe((organizationId, event) => {
    if (event.type === 'interaction.created' || event.type === 'sentiment.analyzed')
      void cache.invalidate(organizationId);
  });
  return {
    ...deps,
    cache,
    jwtKey,
    resolveKey: createKeyResolver({ storage: deps.storage }),
    auth: (roles) => requireAuth({ secret: jwtKey, ...(roles ? { roles } : {}), isValid }),
  };
}
