import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Role } from '../storage/types.js';

export const ACCESS_TOKEN_TTL_SECONDS = 60 * 60;

/** What an access token says about its bearer. */
export interface AccessClaims {
  userId: string;
  organizationId: string;
  role: Role;
  /** Issued-at, seconds since the epoch. */
  issuedAt: number;
  /** Issued-at in milliseconds (compared with the user's tokens-valid-after instant). */
  issuedAtMs: number;
  tokenId: string;
  /** Set when the caller is a secret API key (acting as admin of its organization), not a user. */
  apiKeyId?: string;
}

const ISSUER = 'heed';
const AUDIENCE = 'heed-api';
const ROLES: readonly string[] = ['admin', 'analyst', 'viewer'];

export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** An HS256 access JWT valid for one hour. */
export async function signAccessToken(
  secret: Uint8Array,
  claims: { userId: string; organizationId: string; role: Role },
  ttlSeconds = ACCESS_TOKEN_TTL_SECONDS,
): Promise<string> {
  const now = Date.now();
  return new SignJWT({ org: claims.organizationId, role: claims.role, ims: now })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(Math.floor(now / 1000))
    .setJti(crypto.randomUUID())
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(secret);
}

/** Verifies signature (HS256 only: alg=none and others are refused), expiry, issuer and audience. */
export async function verifyAccessToken(secret: Uint8Array, token: string): Promise<AccessClaims | null> {
  try {
    const { payload } = await jwtVerify(token, secret, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    const role = payload.role;
    if (typeof payload.sub !== 'string' || typeof payload.org !== 'string' || typeof role !== 'string')
      return null;
    if (!ROLES.includes(role)) return null;
    return {
      userId: payload.sub,
      organizationId: payload.org,
      role: role as Role,
      issuedAt: payload.iat ?? 0,
      issuedAtMs: typeof payload.ims === 'number' ? payload.ims : (payload.iat ?? 0) * 1000,
      tokenId: payload.jti ?? '',
    };
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) return null;
    throw err;
  }
}
