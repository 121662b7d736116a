import type { ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { ACCESS_TOKEN_TTL_SECONDS, type AccessClaims } from '../../auth/tokens.js';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';
import type { AuthVariables } from '../../middleware/auth.js';
import type { OpenOptions } from '../../realtime/stream.js';
import { bearer, errorResponses } from '../schemas.js';
import { STREAM_TOKEN_TTL_SECONDS, signStreamToken, verifyStreamToken } from './token.js';

const COOKIE = 'heed_stream';

const tokenRoute = createRoute({
  method: 'post',
  path: '/api/stream-token',
  tags: ['Live'],
  summary: 'A one-minute token that opens GET /v1/stream from a browser (?token= or the heed_stream cookie)',
  security: bearer,
  responses: {
    200: {
      description: 'The token (also set as an HttpOnly cookie scoped to /v1/stream)',
      content: {
        'application/json': { schema: z.object({ token: z.string(), expiresIn: z.number() }) },
      },
    },
    ...errorResponses,
  },
});

const streamRoute = createRoute({
  method: 'get',
  path: '/v1/stream',
  tags: ['Live'],
  summary:
    "Server-Sent Events: your organization's interaction.created, sentiment.analyzed, anomaly.detected",
  description:
    'Authenticate with `Authorization: Bearer <access token>`, or `?token=` / the `heed_stream` cookie from ' +
    'POST /api/stream-token. Each message has an increasing `id` and `data` = a JSON array of `{id, data}` ' +
    '(events within ~50 ms are coalesced). Reconnect with `Last-Event-ID` (header or `?lastEventId=`) to ' +
    'replay what was missed from the last 100 events; when more was missed an `event: resync` asks the ' +
    'client to refetch over REST. A `: heartbeat` comment is sent every 15 s.',
  security: bearer,
  request: {
    query: z.object({
      token: z.string().max(2000).optional(),
      lastEventId: z.string().max(30).optional(),
    }),
  },
  responses: {
    200: { description: 'The event stream', content: { 'text/event-stream': { schema: z.string() } } },
    401: errorResponses[401],
  },
});

/** `GET /v1/stream` (SSE) and `POST /api/stream-token`. */
export function streamRoutes(ctx: AppContext) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
  const auth = ctx.auth();

  app.use(tokenRoute.path, auth);
  app.openapi(tokenRoute, async (c) => {
    const { userId, organizationId, role, issuedAtMs, issuedAt } = c.get('auth');
    const token = await signStreamToken(ctx.jwtKey, {
      userId,
      organizationId,
      role,
      issuedAtMs,
      accessExpiresAt: (issuedAt + ACCESS_TOKEN_TTL_SECONDS) * 1000,
    });
    setCookie(c, COOKIE, token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/v1/stream',
      maxAge: STREAM_TOKEN_TTL_SECONDS,
      secure: new URL(c.req.url).protocol === 'https:',
    });
    c.header('Cache-Control', 'no-store');
    return c.json({ token, expiresIn: STREAM_TOKEN_TTL_SECONDS }, 200);
  });

  app.openapi(streamRoute, async (c) => {
    const user = await streamCaller(ctx, c);
    return serveStream(c, ctx, {
      organizationId: user.claims.organizationId,
      lastEventId: lastEventId(c),
      user,
    });
  });

  return app;
}

/** The caller: access JWT in the header, else a stream token (query or cookie). */
async function streamCaller(
  ctx: AppContext,
  c: Context<{ Variables: AuthVariables }>,
): Promise<{ claims: AccessClaims; expiresAt: number }> {
  if (c.req.header('authorization')) {
    await ctx.auth()(c, async () => {});
    const claims = c.get('auth');
    return { claims, expiresAt: (claims.issuedAt + ACCESS_TOKEN_TTL_SECONDS) * 1000 };
  }
  const token = c.req.query('token') ?? getCookie(c, COOKIE);
  if (!token) throw new HeedError('unauthorized', 'Missing credentials: send a bearer token or ?token=');
  const t = await verifyStreamToken(ctx.jwtKey, token);
  if (!t) throw new HeedError('unauthorized', 'Invalid or expired stream token');
  const claims: AccessClaims = {
    userId: t.userId,
    organizationId: t.organizationId,
    role: t.role,
    issuedAt: Math.floor(t.issuedAtMs / 1000),
    issuedAtMs: t.issuedAtMs,
    tokenId: '',
  };
  // Logged out (or deactivated) since the token was issued: refused like the access token.
  if (!(await ctx.live.isUserValid(claims)))
    throw new HeedError('unauthorized', 'Invalid or expired stream token');
  return { claims, expiresAt: t.accessExpiresAt };
}

/** Last-Event-ID from the header (EventSource reconnects) or the query (clients that reconnect themselves). */
export function lastEventId(c: Context): number | undefined {
  const raw = c.req.header('last-event-id') ?? c.req.query('lastEventId');
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  // An id this server never issued cannot be replayed: -1 asks for a resync.
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  // nginx and similar proxies would otherwise buffer the stream.
  'X-Accel-Buffering': 'no',
};

/**
 * Answers with the live stream. On Node the connection is written directly (no web-stream pipeline
 * per client); elsewhere (and in `app.request()` tests) as a ReadableStream body.
 */
export function serveStream(
  c: Context,
  ctx: AppContext,
  opts: OpenOptions,
  headers: Record<string, string> = {},
): Response {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing && typeof outgoing.writeHead === 'function' && !outgoing.headersSent) {
    outgoing.writeHead(200, { ...SSE_HEADERS, ...headers, 'X-Request-Id': c.get('requestId') ?? '' });
    outgoing.flushHeaders();
    ctx.live.attach(opts, outgoing);
    return RESPONSE_ALREADY_SENT;
  }
  return new Response(ctx.live.open(opts), { status: 200, headers: { ...SSE_HEADERS, ...headers } });
}
