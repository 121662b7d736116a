import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';

const Pattern = z
  .object({
    id: z.string(),
    customerId: z.string(),
    patternType: z.string(),
    description: z.string(),
    confidence: z.number().min(0.7).max(1),
    frequency: z.number().int().positive(),
    metadata: z.record(z.string(), z.unknown()),
    detectedAt: z.string(),
  })
  .openapi('BehaviorPattern');

const route = createRoute({
  method: 'get',
  path: '/api/patterns/{customerId}',
  tags: ['Analysis'],
  summary: "A customer's behaviour patterns over the last 30 days (cached 10 minutes)",
  security: [{ bearerAuth: [] }],
  request: { params: z.object({ customerId: z.string().uuid('must be a UUID') }) },
  responses: {
    200: {
      description: 'Patterns with confidence in [0.7, 1], highest first',
      content: { 'application/json': { schema: z.object({ data: z.array(Pattern) }) } },
    },
    404: { description: 'No such customer in your organization' },
  },
});

export function patternRoutes(ctx: AppContext) {
  const app = new OpenAPIHono();
  app.use('/api/patterns/*', ctx.auth());
  app.openapi(route, async (c) => {
    const service = ctx.analysis?.patterns;
    if (!service) throw new HeedError('service_unavailable', 'Analysis is turned off on this collector');
    const { organizationId } = c.get('auth' as never) as { organizationId: string };
    const patterns = await service.forCustomer(organizationId, c.req.valid('param').customerId);
    return c.json({ data: patterns.map((p) => ({ ...p, detectedAt: p.detectedAt.toISOString() })) }, 200);
  });
  return app;
}
