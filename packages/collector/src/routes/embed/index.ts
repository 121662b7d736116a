import { createHash, randomBytes } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { CACHE_TTL_MS } from '../../cache/index.js';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';
import type { AuthVariables } from '../../middleware/auth.js';
import type { EmbedToken } from '../../storage/types.js';
import { bearer, errorResponses, errorSchema, ok } from '../schemas.js';
import { lastEventId, serveStream } from '../stream/index.js';

export const WIDGETS = ['sentiment-trend', 'kpis', 'channels'] as const;
const RANGES = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;

const origin = z
  .string()
  .max(200)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === v;
    } catch {
      return false;
    }
  }, 'must be an origin such as https://example.com (scheme, host and port only)');

const tokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    tokenPrefix: z.string(),
    widgets: z.array(z.enum(WIDGETS)),
    allowedOrigins: z.array(z.string()),
    expiresAt: z.string(),
    revokedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('EmbedToken');

function tokenJson(t: EmbedToken): z.infer<typeof tokenSchema> {
  return {
    id: t.id,
    name: t.name,
    tokenPrefix: t.tokenPrefix,
    widgets: t.widgets as Array<(typeof WIDGETS)[number]>,
    allowedOrigins: t.allowedOrigins,
    expiresAt: t.expiresAt.toISOString(),
    revokedAt: t.revokedAt?.toISOString() ?? null,
    createdAt: t.createdAt.toISOString(),
  };
}

const createTokenRoute = createRoute({
  method: 'post',
  path: '/api/embed-tokens',
  tags: ['Widgets'],
  summary: 'Create an embed token (read-only, chosen widgets, allowed origins, expiry); shown once',
  security: bearer,
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            name: z.string().min(1).max(100),
            widgets: z.array(z.enum(WIDGETS)).min(1),
            allowedOrigins: z.array(origin).min(1).max(20),
            expiresInDays: z.number().int().min(1).max(365).default(90),
          }),
        },
      },
    },
  },
  responses: { 201: ok('Created', tokenSchema.extend({ token: z.string() })), ...errorResponses },
});

const listRoute = createRoute({
  method: 'get',
  path: '/api/embed-tokens',
  tags: ['Widgets'],
  summary: "The organization's embed tokens, newest first (never the secrets)",
  security: bearer,
  responses: { 200: ok('Tokens', z.object({ data: z.array(tokenSchema) })), ...errorResponses },
});

const revokeRoute = createRoute({
  method: 'delete',
  path: '/api/embed-tokens/{id}',
  tags: ['Widgets'],
  summary: 'Revoke an embed token: its widgets stop at once (open streams are closed)',
  security: bearer,
  request: { params: z.object({ id: z.string().uuid('must be a UUID') }) },
  responses: {
    200: ok('Revoked', tokenSchema),
    ...errorResponses,
    404: ok('No such token in your organization', errorSchema),
  },
});

const widgetQuery = z.object({
  token: z.string().min(1).max(200),
  kind: z.enum(WIDGETS),
  range: z.enum(['24h', '7d', '30d']).default('7d'),
});

const dataRoute = createRoute({
  method: 'get',
  path: '/v1/embed/data',
  tags: ['Widgets'],
  summary: "A widget's data (embed token; CORS limited to the token's allowed origins)",
  request: { query: widgetQuery },
  responses: { 200: ok('Widget data', z.object({ kind: z.string() }).passthrough()), ...errorResponses },
});

const streamRoute = createRoute({
  method: 'get',
  path: '/v1/embed/stream',
  tags: ['Widgets'],
  summary: "A widget's live stream: event ids and types only, to refetch its data",
  request: {
    query: widgetQuery.omit({ range: true }).extend({ lastEventId: z.string().max(30).optional() }),
  },
  responses: {
    200: { description: 'The event stream', content: { 'text/event-stream': { schema: z.string() } } },
    ...errorResponses,
  },
});

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Embed tokens (admins) and the widgets' data and stream endpoints (embed token). */
export function embedRoutes(ctx: AppContext) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
  const admin = ctx.auth(['admin']);
  const { storage } = ctx;

  app.use('/api/embed-tokens', admin);
  app.use('/api/embed-tokens/*', admin);
  app.openapi(createTokenRoute, async (c) => {
    const body = c.req.valid('json');
    const { organizationId, userId } = c.get('auth');
    const token = `hem_${randomBytes(24).toString('base64url')}`;
    const created = await storage.live.createEmbedToken({
      organizationId,
      name: body.name,
      tokenHash: hashToken(token),
      tokenPrefix: token.slice(0, 10),
      widgets: [...new Set(body.widgets)],
      allowedOrigins: [...new Set(body.allowedOrigins)],
      expiresAt: new Date(Date.now() + body.expiresInDays * 86_400_000),
      createdBy: userId,
    });
    await ctx.audit(c, {
      action: 'embed_token.created',
      resourceType: 'embed_token',
      resourceId: created.id,
    });
    return c.json({ ...tokenJson(created), token }, 201);
  });

  app.openapi(listRoute, async (c) => {
    const rows = await storage.live.listEmbedTokens(c.get('auth').organizationId);
    return c.json({ data: rows.map(tokenJson) }, 200);
  });

  app.openapi(revokeRoute, async (c) => {
    const { id } = c.req.valid('param');
    const revoked = await storage.live.revokeEmbedToken(c.get('auth').organizationId, id);
    if (!revoked) throw new HeedError('not_found', 'No such embed token');
    ctx.live.closeEmbed(id);
    await ctx.audit(c, { action: 'embed_token.revoked', resourceType: 'embed_token', resourceId: id });
    return c.json(tokenJson(revoked), 200);
  });

  /** The token behind a widget request, checked against kind and Origin; sets the CORS headers. */
  const widgetCaller = async (c: Context, token: string, kind: string): Promise<EmbedToken> => {
    const requestOrigin = c.req.header('origin');
    const t = await storage.live.findEmbedToken(hashToken(token));
    if (!t || t.revokedAt || t.expiresAt.getTime() <= Date.now()) {
      if (requestOrigin) c.header('Access-Control-Allow-Origin', requestOrigin); // let the widget read why
      throw new HeedError('unauthorized', 'This widget token is invalid, expired or revoked');
    }
    if (requestOrigin && !t.allowedOrigins.includes(requestOrigin)) {
      throw new HeedError('forbidden', 'This page is not an allowed origin of the widget token');
    }
    if (requestOrigin) {
      c.header('Access-Control-Allow-Origin', requestOrigin);
      c.header('Vary', 'Origin');
    }
    if (!t.widgets.includes(kind))
      throw new HeedError('forbidden', `The token does not allow the ${kind} widget`);
    return t;
  };

  app.openapi(dataRoute, async (c) => {
    const q = c.req.valid('query');
    const t = await widgetCaller(c, q.token, q.kind);
    const org = t.organizationId;
    const from = new Date(Date.now() - RANGES[q.range]);
    const body = await ctx.cache.wrap(
      org,
      `widget-${q.kind}`,
      { range: q.range },
      CACHE_TTL_MS.aggregation,
      async () => {
        if (q.kind === 'sentiment-trend') {
          const points = await storage.insights.trends(
            { organizationId: org, from },
            { groupBy: q.range === '24h' ? 'hour' : 'day', splitBy: 'none' },
          );
          return {
            kind: q.kind,
            points: points.map((p) => ({
              bucket: p.bucket.toISOString(),
              count: p.count,
              meanSentiment: p.meanSentiment,
            })),
          };
        }
        const m = await storage.insights.metrics({ organizationId: org, from }, { topEventTypes: 0 });
        return {
          kind: q.kind,
          metrics: {
            volume: m.volume,
            meanSentiment: m.meanSentiment,
            activeCustomers: m.activeCustomers,
            byChannel: m.byChannel.map((b) => ({ channel: b.channel, count: b.count })),
          },
        };
      },
    );
    c.header('Cache-Control', 'no-store');
    return c.json(body, 200);
  });

  app.openapi(streamRoute, async (c) => {
    const q = c.req.valid('query');
    const t = await widgetCaller(c, q.token, q.kind);
    const from = c.req.header('origin');
    return serveStream(
      c,
      ctx,
      { organizationId: t.organizationId, lastEventId: lastEventId(c), embedTokenId: t.id },
      from ? { 'Access-Control-Allow-Origin': from, Vary: 'Origin' } : {},
    );
  });

  return app;
}
