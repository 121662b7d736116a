import type { JsonObject } from '@heed/protocol';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { CACHE_TTL_MS } from '../../cache/index.js';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';
import type { AuthVariables } from '../../middleware/auth.js';
import type { Customer } from '../../storage/types.js';
import {
  interactionJson,
  interactionSchema,
  pageQuery,
  pagination,
  paginationSchema,
  READ_ROLES,
  revealInteractions,
} from '../insights/filters.js';
import { bearer, errorResponses, errorSchema } from '../schemas.js';

const customerSchema = z
  .object({
    id: z.string(),
    externalId: z.string(),
    segment: z.string().nullable(),
    traits: z.record(z.string(), z.unknown()),
    firstSeenAt: z.string(),
    lastSeenAt: z.string(),
    interactionCount: z.number(),
    averageSentiment: z.number().nullable(),
  })
  .openapi('Customer');

function customerJson(c: Customer): z.infer<typeof customerSchema> {
  return {
    id: c.id,
    externalId: c.externalId,
    segment: c.segment,
    traits: c.traits,
    firstSeenAt: c.firstSeenAt.toISOString(),
    lastSeenAt: c.lastSeenAt.toISOString(),
    interactionCount: c.interactionCount,
    averageSentiment: c.averageSentiment,
  };
}

const listRoute = createRoute({
  method: 'get',
  path: '/api/customers',
  tags: ['Customers'],
  summary: 'Customers, most recently seen first; filter by segment, search by external id prefix',
  security: bearer,
  request: {
    query: z.object({
      segment: z.string().optional().openapi({ description: 'Comma-separated segments' }),
      search: z.string().min(1).max(200).optional().openapi({ description: 'External id prefix' }),
      ...pageQuery,
    }),
  },
  responses: {
    200: {
      description: 'One page of customers',
      content: {
        'application/json': {
          schema: z.object({ data: z.array(customerSchema), pagination: paginationSchema }),
        },
      },
    },
    ...errorResponses,
  },
});

const PROFILE_DAYS = 90;

const profileRoute = createRoute({
  method: 'get',
  path: '/api/customers/{id}',
  tags: ['Customers'],
  summary: 'Customer profile: recent interactions, behaviour patterns, daily sentiment (90 days)',
  security: bearer,
  request: { params: z.object({ id: z.string() }) },
  responses: {
    200: {
      description: 'The profile',
      content: {
        'application/json': {
          schema: z.object({
            customer: customerSchema,
            recentInteractions: z.array(interactionSchema),
            patterns: z.array(
              z.object({
                id: z.string(),
                patternType: z.string(),
                description: z.string(),
                confidence: z.number(),
                frequency: z.number(),
                metadata: z.record(z.string(), z.unknown()),
                detectedAt: z.string(),
              }),
            ),
            sentimentOverTime: z.array(
              z.object({ bucket: z.string(), count: z.number(), meanSentiment: z.number().nullable() }),
            ),
          }),
        },
      },
    },
    ...errorResponses,
    404: {
      description: 'No such customer in your organization',
      content: { 'application/json': { schema: errorSchema } },
    },
  },
});

/** `GET /api/customers`, `GET /api/customers/:id`. */
export function customersRoutes(ctx: AppContext) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
  const { storage, cache } = ctx;
  const auth = ctx.auth(READ_ROLES);

  app.use('/api/customers', auth);
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const org = c.get('auth').organizationId;
    const body = await cache.wrap(org, 'customers', q, CACHE_TTL_MS.profile, async () => {
      const segments = q.segment
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const { rows, total } = await storage.customers.list({
        organizationId: org,
        segments,
        search: q.search,
        limit: q.pageSize,
        offset: (q.page - 1) * q.pageSize,
      });
      return { data: rows.map(customerJson), pagination: pagination(q.page, q.pageSize, total) };
    });
    const data = body.data.map((cu) => ({ ...cu, traits: ctx.pii.decryptTraits(cu.traits as JsonObject) }));
    return c.json({ ...body, data }, 200);
  });

  app.use('/api/customers/:id', auth);
  app.openapi(profileRoute, async (c) => {
    const { id } = c.req.valid('param');
    const org = c.get('auth').organizationId;
    const body = await cache.wrap(org, 'customer', { id }, CACHE_TTL_MS.profile, async () => {
      const customer = await storage.customers.get(org, id);
      if (!customer) return null;
      const since = new Date(Date.now() - PROFILE_DAYS * 86_400_000);
      const [recent, patterns, sentiment] = await Promise.all([
        storage.insights.list(
          { organizationId: org, customerId: id },
          { sortBy: 'timestamp', order: 'desc', limit: 20, offset: 0 },
        ),
        storage.customers.patterns(org, id),
        storage.customers.sentimentOverTime(org, id, since, 'day'),
      ]);
      return {
        customer: customerJson(customer),
        recentInteractions: recent.rows.map(interactionJson),
        patterns: patterns.map((p) => ({ ...p, detectedAt: p.detectedAt.toISOString() })),
        sentimentOverTime: sentiment.map((s) => ({ ...s, bucket: s.bucket.toISOString() })),
      };
    });
    if (!body) throw new HeedError('not_found', 'No such customer');
    return c.json(
      {
        ...body,
        customer: { ...body.customer, traits: ctx.pii.decryptTraits(body.customer.traits as JsonObject) },
        recentInteractions: revealInteractions(ctx.pii, body.recentInteractions),
      },
      200,
    );
  });

  return app;
}
