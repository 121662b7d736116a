import type { MiddlewareHandler } from 'hono';
import { type AccessClaims, verifyAccessToken } from '../auth/tokens.js';
import { HeedError } from '../errors.js';
import type { Role } from '../storage/types.js';

export type AuthVariables = { auth: AccessClaims };

export interface RequireAuthOptions {
  secret: Uint8Array;
  /** Roles allowed on the route. Default: every role. */
  roles?: readonly Role[];
  /**
   * Extra check after the signature (e.g. the user still exists, is active and the token was not
   * revoked). Return false to answer 401.
   */
  isValid?: (claims: AccessClaims) => Promise<boolean>;
  /** Resolves a secret API key (`hk_s_…`) used in place of a JWT; null when it is not a valid one. */
  secretKey?: (key: string) => Promise<AccessClaims | null>;
}

const ALL_ROLES: readonly Role[] = ['admin', 'analyst', 'viewer'];

/**
 * Bearer access JWT (or a secret API key) required; 401 when missing or invalid, 403 when the role is
 * not allowed.
 */
export function requireAuth(opts: RequireAuthOptions): MiddlewareHandler<{ Variables: AuthVariables }> {
  const roles = opts.roles ?? ALL_ROLES;
  return async function requireAuthMiddleware(c, next) {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match)
      throw new HeedError('unauthorized', 'Missing access token: send Authorization: Bearer <token>');
    const token = match[1]!;
    const claims = token.startsWith('hk_')
      ? ((await opts.secretKey?.(token)) ?? null)
      : await verifyAccessToken(opts.secret, token);
    if (!claims || (!claims.apiKeyId && opts.isValid && !(await opts.isValid(claims)))) {
      throw new HeedError('unauthorized', 'Invalid or expired access token');
    }
    if (!roles.includes(claims.role)) {
      throw new HeedError(
        'forbidden',
        `This action needs the ${roles.join(' or ')} role; you are ${claims.role}`,
      );
    }
    c.set('auth', claims);
    await next();
  };
}
