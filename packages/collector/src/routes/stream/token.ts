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
}

export async function signStreamToken(key: Uint8Array, claims: StreamClaims): Promise<string> {
  return new SignJWT({ org: claims.organizationId, role: claims.role })
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
    if (typeof payload.sub !== 'string' || typeof payload.org !== 'string') return null;
    return { userId: payload.sub, organizationId: payload.org, role: payload.role as Role };
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) return null;
    throw err;
  }
}
