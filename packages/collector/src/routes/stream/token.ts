import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Role } from '../../storage/types.js';

/** Stream tokens open one EventSource (browsers cannot send headers): short-lived, stream-only. */
export const STREAM_TOKEN_TTL_SECONDS = 60;
const AUDIENCE = 'heed-stream';
const ISSUER = 'heed';

export interface StreamClaims {
  userId: string;
  organizationId: string;
  role: Role;
  /** Of the access token it was issued with: logging out (or any revocation) ends the stream too. */
  issuedAtMs: number;
  /** When that access token expires (ms): the stream ends then, the client reconnects. */
  accessExpiresAt: number;
}

export async function signStreamToken(key: Uint8Array, claims: StreamClaims): Promise<string> {
  return new SignJWT({
    org: claims.organizationId,
    role: claims.role,
    ims: claims.issuedAtMs,
    aexp: claims.accessExpiresAt,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${STREAM_TOKEN_TTL_SECONDS}s`)
    .sign(key);
}

/** The claims, or null when the token is not a valid, unexpired stream token (access JWTs are refused). */
export async function verifyStreamToken(key: Uint8Array, token: string): Promise<StreamClaims | null> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    const { sub, org, role, ims, aexp } = payload;
    if (
      typeof sub !== 'string' ||
      typeof org !== 'string' ||
      typeof ims !== 'number' ||
      typeof aexp !== 'number'
    )
      return null;
    return { userId: sub, organizationId: org, role: role as Role, issuedAtMs: ims, accessExpiresAt: aexp };
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) return null;
    throw err;
  }
}
