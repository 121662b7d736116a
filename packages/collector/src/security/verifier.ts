import { LRUCache } from 'lru-cache';
import type { AccessClaims } from '../auth/tokens.js';
import type { Role, Storage } from '../storage/types.js';

interface UserState {
  isActive: boolean;
  role: Role;
  tokensValidAfter: number;
}

/**
 * Checks, after the signature, that an access token's user still exists, is active, has the role the
 * token claims and has not revoked its tokens since it was issued. Answers are cached for a few
 * seconds; writes that revoke call `invalidate` so this process sees them at once (other instances
 * within `ttlMs`).
 */
export function createVerifier(storage: Storage, ttlMs = 5000) {
  const cache = new LRUCache<string, UserState | 'missing'>({ max: 10_000, ttl: ttlMs });
  const keyOf = (organizationId: string, userId: string) => `${organizationId}:${userId}`;
  return {
    async isValid(claims: AccessClaims): Promise<boolean> {
      const key = keyOf(claims.organizationId, claims.userId);
      let state = cache.get(key);
      if (state === undefined) {
        const user = await storage.users.findById(claims.organizationId, claims.userId);
        state = user
          ? {
              isActive: user.isActive,
              role: user.role,
              tokensValidAfter: user.tokensValidAfter?.getTime() ?? 0,
            }
          : 'missing';
        cache.set(key, state);
      }
      if (state === 'missing' || !state.isActive || state.role !== claims.role) return false;
      return claims.issuedAtMs >= state.tokensValidAfter;
    },
    invalidate(organizationId: string, userId: string): void {
      cache.delete(keyOf(organizationId, userId));
    },
  };
}
