import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { CACHE_TTL_MS } from '../../cache/index.js';
import type { AppContext } from '../../context.js';
import type { AuthVariables } from '../../middleware/auth.js';
import { bearer, errorResponses } from '../schemas.js';
import {
  filterQuery,
  interactionJson,
  interactionSchema,
  pageQuery,
  pagination,
  paginationSchema,
  READ_ROLES,
  revealInteractions,
  toFilters,
  windowJson,
} from './filters.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  200: { description, content: { 'application/json': { schema } } },
  ...errorResponses,
});

const listRoute = createRoute({
  method: 'get',
  path: '/api/insights',
  tags: ['Insights'],
  summary: 'Interactions matching the filters, paginated and sorted',
  security: bearer,
  request: {
    query: z.object({
      ...filterQuery,
      ...pageQuery,
      sortBy: z.enum(['timestamp', 'sentiment', 'channel']).default('timestamp'),
      order: z.enum(['asc', 'desc']).default('desc'),
    }),
  },
  responses: json(
    z.object({ data: z.array(interactionSchema), pagination: paginationSchema }),
    'One page of interactions; ties broken by timestamp then id, so identical queries give identical pages',
  ),
});

const pointSchema = z.object({
  bucket: z.string(),
  count: z.number(),
  scored: z.number(),
  meanSentiment: z.number().nullable(),
  positive: z.number(),
  negative: z.number(),
  neutral: z.number(),
});

const trendsRoute = createRoute({
  method: 'get',
  path: '/api/insights/sentiment-trends',
  tags: ['Insights'],
  summary: 'Sentiment over time, per hour, day or week, optionally split by channel or segment',
  security: bearer,
  request: {
    query: z.object({
      ...filterQuery,
      groupBy: z.enum(['hour', 'day', 'week']).default('day'),
      splitBy: z.enum(['none', 'channel', 'segment']).default('none'),
    }),
  },
  responses: json(
    z.object({
      from: z.string().nullable(),
      to: z.string().nullable(),
      groupBy: z.enum(['hour', 'day', 'week']),
      splitBy: z.enum(['none', 'channel', 'segment']),
      series: z.array(z.object({ key: z.string().nullable(), points: z.array(pointSchema) })),
    }),
    'One series per channel or segment (a single series with key null when not split); buckets in UTC',
  ),
});

const metricsRoute = createRoute({
  method: 'get',
  path: '/api/insights/metrics',
  tags: ['Insights'],
  summary: 'Volume, mean sentiment, distributions, active customers and top event types',
  security: bearer,
  request: { query: z.object({ ...filterQuery }) },
  responses: json(
    z.object({
      from: z.string().nullable(),
      to: z.string().nullable(),
      volume: z.number(),
      scored: z.number(),
      meanSentiment: z.number().nullable(),
      activeCustomers: z.number(),
      byChannel: z.array(
        z.object({ channel: z.string(), count: z.number(), meanSentiment: z.number().nullable() }),
      ),
      byLabel: z.object({
        positive: z.number(),
        negative: z.number(),
        neutral: z.number(),
        unscored: z.number(),
      }),
      topEventTypes: z.array(z.object({ eventType: z.string(), count: z.number() })),
    }),
    'Aggregates over the filtered interactions',
  ),
});

/** `GET /api/insights`, `/api/insights/sentiment-trends`, `/api/insights/metrics`. */
export function insightsRoutes(ctx: AppContext) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
  const { storage, cache } = ctx;
  const auth = ctx.auth(READ_ROLES);

  app.use(listRoute.path, auth);
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const org = c.get('auth').organizationId;
    const f = toFilters(org, q);
    const body = await cache.wrap(org, 'insights', q, CACHE_TTL_MS.aggregation, async () => {
      const { rows, total } = await storage.insights.list(f, {
        sortBy: q.sortBy,
        order: q.order,
        limit: q.pageSize,
        offset: (q.page - 1) * q.pageSize,
      });
      return { data: rows.map(interactionJson), pagination: pagination(q.page, q.pageSize, total) };
    });
    return c.json({ ...body, data: revealInteractions(ctx.pii, body.data) }, 200);
  });

  app.use(trendsRoute.path, auth);
  app.openapi(trendsRoute, async (c) => {
    const q = c.req.valid('query');
    const org = c.get('auth').organizationId;
    const f = toFilters(org, q);
    const body = await cache.wrap(org, 'sentiment-trends', q, CACHE_TTL_MS.trends, async () => {
      const points = await storage.insights.trends(f, { groupBy: q.groupBy, splitBy: q.splitBy });
      const series = new Map<string | null, z.infer<typeof pointSchema>[]>();
      for (const { key, bucket, ...rest } of points) {
        const s = series.get(key) ?? [];
        if (s.length === 0) series.set(key, s);
        s.push({ bucket: bucket.toISOString(), ...rest });
      }
      return {
        ...windowJson(f),
        groupBy: q.groupBy,
        splitBy: q.splitBy,
        series: [...series].map(([key, pts]) => ({ key, points: pts })),
      };
    });
    return c.json(body, 200);
  });

  app.use(metricsRoute.path, auth);
  app.openapi(metricsRoute, async (c) => {
    const q = c.req.valid('query');
    const org = c.get('auth').organizationId;
    const f = toFilters(org, q);
    const body = await cache.wrap(org, 'metrics', q, CACHE_TTL_MS.aggregation, async () => ({
      ...windowJson(f),
      ...(await storage.insights.metrics(f, { topEventTypes: 10 })),
    }));
    return c.json(body, 200);
  });

  return app;
}
