import { generateRefreshToken, REFRESH_TOKEN_TTL_MS } from '../../auth/refresh.js';
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from '../../auth/tokens.js';
import type { Storage, User } from '../../storage/types.js';
import { userJson } from './schemas.js';

/** A new session: an access JWT and the first refresh token of a new family. */
export async function openSession(
  deps: { storage: Storage; jwtKey: Uint8Array },
  user: User,
  ip: string | null,
) {
  const refresh = generateRefreshToken();
  await deps.storage.tokens.create({
    userId: user.id,
    familyId: crypto.randomUUID(),
    tokenHash: refresh.hash,
    expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_MS),
    createdIp: ip,
  });
  return sessionBody(deps.jwtKey, user, refresh.token);
}

export async function sessionBody(jwtKey: Uint8Array, user: User, refreshToken: string) {
  const accessToken = await signAccessToken(jwtKey, {
    userId: user.id,
    organizationId: user.organizationId,
    role: user.role,
  });
  return {
    accessToken,
    tokenType: 'Bearer' as const,
    expiresIn: ACCESS_TOKEN_TTL_SECONDS,
    refreshToken,
    refreshExpiresIn: REFRESH_TOKEN_TTL_MS / 1000,
    user: userJson(user),
  };
}
