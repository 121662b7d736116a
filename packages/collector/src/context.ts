import type { MiddlewareHandler } from 'hono';
import { secretKey } from './auth/tokens.js';
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
}

/** Shared by every route module: dependencies plus ready-made auth middleware. */
export interface AppContext extends AppDeps {
  jwtKey: Uint8Array;
  /** Access JWT required; only the given roles (default: all). */
  auth(roles?: readonly Role[]): MiddlewareHandler<{ Variables: AuthVariables }>;
  /** Write/secret key -> its record (cached); throws 401 for unknown or revoked keys. */
  resolveKey: WriteKeyResolver;
}

export function createContext(deps: AppDeps): AppContext {
  const jwtKey = secretKey(deps.config.jwtSecret);
  const isValid = async (claims: { organizationId: string; userId: string }) => {
    const user = await deps.storage.users.findById(claims.organizationId, claims.userId);
    return user?.isActive === true;
  };
  return {
    ...deps,
    jwtKey,
    resolveKey: createKeyResolver({ storage: deps.storage }),
    auth: (roles) => requireAuth({ secret: jwtKey, ...(roles ? { roles } : {}), isValid }),
  };
}
