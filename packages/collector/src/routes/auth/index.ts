import { createHash } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { hashPassword, passwordProblem, verifyPassword } from '../../auth/passwords.js';
import { generateRefreshToken, hashRefreshToken, REFRESH_TOKEN_TTL_MS } from '../../auth/refresh.js';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';
import type { AuthVariables } from '../../middleware/auth.js';
import { applyDecision, rateLimit } from '../../middleware/rate-limit.js';
import { bearer, errors } from '../schemas.js';
import { passwordField, sessionSchema, userJson, userSchema } from './schemas.js';
import { openSession, sessionBody } from './session.js';

const json = <T extends z.ZodType>(schema: T) => ({
  content: { 'application/json': { schema } },
  required: true,
});

const loginRoute = createRoute({
  method: 'post',
  path: '/api/auth/login',
  tags: ['Auth'],
  summary: 'Log in with email and password: an access token (1 h) and a refresh token (7 days)',
  request: { body: json(z.object({ email: z.string().min(1).max(320), password: passwordField })) },
  responses: {
    200: { description: 'Logged in', content: { 'application/json': { schema: sessionSchema } } },
    400: errors[400],
    401: errors[401],
    429: errors[429],
  },
});

const refreshRoute = createRoute({
  method: 'post',
  path: '/api/auth/refresh',
  tags: ['Auth'],
  summary: 'Trade a refresh token for a new pair (the old one stops working; reusing it revokes the session)',
  request: { body: json(z.object({ refreshToken: z.string().min(1).max(200) })) },
  responses: {
    200: { description: 'New tokens', content: { 'application/json': { schema: sessionSchema } } },
    400: errors[400],
    401: errors[401],
    429: errors[429],
  },
});

const logoutRoute = createRoute({
  method: 'post',
  path: '/api/auth/logout',
  tags: ['Auth'],
  summary: "Log out: revokes every access and refresh token of the caller's account",
  security: bearer,
  responses: { 204: { description: 'Logged out' }, 401: errors[401], 429: errors[429] },
});

const meRoute = createRoute({
  method: 'get',
  path: '/api/auth/me',
  tags: ['Auth'],
  summary: 'The caller',
  security: bearer,
  responses: {
    200: { description: 'The caller', content: { 'application/json': { schema: userSchema } } },
    401: errors[401],
    429: errors[429],
  },
});

const passwordRoute = createRoute({
  method: 'post',
  path: '/api/auth/password',
  tags: ['Auth'],
  summary: 'Change your password: every other session is revoked; answers a new session',
  security: bearer,
  request: { body: json(z.object({ currentPassword: passwordField, newPassword: passwordField })) },
  responses: {
    200: { description: 'Password changed', content: { 'application/json': { schema: sessionSchema } } },
    400: errors[400],
    401: errors[401],
    429: errors[429],
  },
});

const INVALID_CREDENTIALS = 'Invalid email or password';

/** Login, refresh, logout, me, password change. */
export function authRoutes(ctx: AppContext) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
  const { storage, logger, limits } = ctx;
  const authLimit = rateLimit({ limiter: limits.auth, logger, trustProxy: ctx.config.trustProxy });
  const auth = ctx.auth();

  app.use('/api/auth/login', authLimit);
  app.openapi(loginRoute, async (c) => {
    const { email, password } = c.req.valid('json');
    const ip = ctx.clientIp(c);
    if (limits.loginFailures.enabled) {
      const d = await limits.loginFailures.check(ip);
      if (!d.ok) applyDecision(c, d, { limiter: limits.loginFailures.name, logger, ip });
    }
    const user = await storage.users.findByEmail(email);
    const ok = await verifyPassword(password, user?.passwordHash);
    if (!user || !ok || !user.isActive) {
      if (limits.loginFailures.enabled) await limits.loginFailures.consume(ip);
      // Which check failed is not said; the email is logged as a hash (correlation without PII).
      logger.warn(
        { ip, at: new Date().toISOString(), emailHash: shortHash(email.toLowerCase()) },
        'failed login',
      );
      throw new HeedError('unauthorized', INVALID_CREDENTIALS);
    }
    const now = new Date();
    await storage.users.recordLogin(user.organizationId, user.id, now);
    return c.json(await openSession(ctx, { ...user, lastLoginAt: now }, ip), 200);
  });

  app.use('/api/auth/refresh', authLimit);
  app.openapi(refreshRoute, async (c) => {
    const { refreshToken } = c.req.valid('json');
    const ip = ctx.clientIp(c);
    const next = generateRefreshToken();
    const r = await storage.tokens.rotate(hashRefreshToken(refreshToken), {
      tokenHash: next.hash,
      expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_MS),
      createdIp: ip,
    });
    if (r.status === 'reused') {
      logger.warn({ ip, userId: r.userId, familyId: r.familyId }, 'refresh token reused: session revoked');
    }
    if (r.status !== 'rotated')
      throw new HeedError('unauthorized', 'Invalid, expired or revoked refresh token');
    const user = await storage.users.findById(r.organizationId, r.userId);
    if (!user?.isActive) throw new HeedError('unauthorized', 'Invalid, expired or revoked refresh token');
    return c.json(await sessionBody(ctx.jwtKey, user, next.token), 200);
  });

  app.use('/api/auth/logout', auth);
  app.openapi(logoutRoute, async (c) => {
    const { organizationId, userId } = c.get('auth');
    await revokeAll(ctx, organizationId, userId);
    return c.body(null, 204);
  });

  app.use('/api/auth/me', auth);
  app.openapi(meRoute, async (c) => {
    const { organizationId, userId } = c.get('auth');
    const user = await storage.users.findById(organizationId, userId);
    if (!user) throw new HeedError('unauthorized', 'Invalid or expired access token');
    return c.json(userJson(user), 200);
  });

  app.use('/api/auth/password', auth, authLimit);
  app.openapi(passwordRoute, async (c) => {
    const { currentPassword, newPassword } = c.req.valid('json');
    const { organizationId, userId } = c.get('auth');
    const user = await storage.users.findById(organizationId, userId);
    const withHash = user ? await storage.users.findByEmail(user.email) : null;
    if (!user || !withHash) throw new HeedError('unauthorized', 'Invalid or expired access token');
    if (!(await verifyPassword(currentPassword, withHash.passwordHash))) {
      throw new HeedError('validation_failed', 'The current password is incorrect', {
        details: [{ field: 'currentPassword', message: 'is incorrect' }],
      });
    }
    checkPolicy(newPassword, 'newPassword');
    await storage.users.setPassword(organizationId, userId, await hashPassword(newPassword));
    await storage.tokens.revokeForUser(userId);
    await ctx.invalidateUser(organizationId, userId);
    await ctx.audit(c, { action: 'user.password_changed', resourceType: 'user', resourceId: userId });
    return c.json(await openSession(ctx, user, ctx.clientIp(c)), 200);
  });

  return app;
}

/** Throws 400 with the policy's reason when the password is too weak. */
export function checkPolicy(password: string, field: string): void {
  const problem = passwordProblem(password);
  if (problem) {
    throw new HeedError('validation_failed', `The password ${problem}`, {
      details: [{ field, message: problem }],
    });
  }
}

/** Ends every session of a user: refresh tokens revoked, access tokens refused from now on. */
export async function revokeAll(ctx: AppContext, organizationId: string, userId: string): Promise<void> {
  await ctx.storage.users.revokeAccessTokens(organizationId, userId);
  await ctx.storage.tokens.revokeForUser(userId);
  await ctx.invalidateUser(organizationId, userId);
}

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 12);
}
