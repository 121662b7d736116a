import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.js';

const Anomaly = z
  .object({
    id: z.string(),
    metric: z.string(),
    granularity: z.string(),
    method: z.string(),
    direction: z.enum(['spike', 'drop']),
    scopeType: z.enum(['organization', 'channel', 'segment']),
    scopeValue: z.string().nullable(),
    bucketTime: z.string(),
    value: z.number(),
    expected: z.number(),
    score: z.number(),
    severity: z.enum(['low', 'medium', 'high', 'critical']),
    description: z.string(),
    detectedAt: z.string(),
    notifiedAt: z.string().nullable(),
  })
  .openapi('Anomaly');

const route = createRoute({
  method: 'get',
  path: '/api/anomalies',
  tags: ['Analysis'],
  summary: 'Detected anomalies, newest first',
  security: [{ bearerAuth: [] }],
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(200).default(50),
      since: z.iso.datetime({ message: 'must be an ISO-8601 date-time' }).optional(),
    }),
  },
  responses: {
    200: {
      description: 'Anomalies',
      content: { 'application/json': { schema: z.object({ data: z.array(Anomaly) }) } },
    },
  },
});

export function anomalyRoutes(ctx: AppContext) {
  const app = new OpenAPIHono();
  app.use('/api/anomalies', ctx.auth());
  app.openapi(route, async (c) => {
    const { organizationId } = c.get('auth' as never) as { organizationId: string };
    const { limit, since } = c.req.valid('query');
    const rows = await ctx.storage.signals.listAnomalies(organizationId, {
      limit,
      ...(since ? { since: new Date(since) } : {}),
    });
    return c.json(
      {
        data: rows.map(({ organizationId: _o, dedupeKey: _k, ...a }) => ({
          ...a,
          bucketTime: a.bucketTime.toISOString(),
          detectedAt: a.detectedAt.toISOString(),
          notifiedAt: a.notifiedAt?.toISOString() ?? null,
        })),
      },
      200,
    );
  });
  return app;
}
