import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { CACHE_TTL_MS } from '../../cache/index.js';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';
import type { AuthVariables } from '../../middleware/auth.js';
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
} from '../insights/filters.js';
import { bearer, errorResponses } from '../schemas.js';

const searchRoute = createRoute({
  method: 'get',
  path: '/api/interactions/search',
  tags: ['Insights'],
  summary: 'Full-text search over interaction content, best match first',
  description:
    'Every word of `q` must match (stemmed, English). Ranked by ts_rank on PostgreSQL and bm25 on SQLite; ' +
    '`rank` is higher for better matches. Takes the same filters as /api/insights.',
  security: bearer,
  request: {
    query: z.object({ q: z.string().min(1).max(500), ...filterQuery, ...pageQuery }),
  },
  responses: {
    200: {
      description: 'One page of matches',
      content: {
        'application/json': {
          schema: z.object({
            data: z.array(interactionSchema.extend({ rank: z.number() })),
            pagination: paginationSchema,
          }),
        },
      },
    },
    ...errorResponses,
  },
});

/** Plain words of a user's query: operators and punctuation are not passed to the search engines. */
export function searchTerms(q: string): string[] {
  return (q.match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 16);
}

/** `GET /api/interactions/search`. */
export function interactionsRoutes(ctx: AppContext) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
  app.use(searchRoute.path, ctx.auth(READ_ROLES));
  app.openapi(searchRoute, async (c) => {
    const q = c.req.valid('query');
    const terms = searchTerms(q.q);
    if (terms.length === 0) {
      throw new HeedError('validation_failed', 'The request is invalid', {
        details: [{ field: 'q', message: 'must contain at least one word' }],
      });
    }
    const org = c.get('auth').organizationId;
    const f = toFilters(org, q);
    const body = await ctx.cache.wrap(org, 'search', q, CACHE_TTL_MS.aggregation, async () => {
      const { rows, total } = await ctx.storage.insights.search(f, terms, {
        limit: q.pageSize,
        offset: (q.page - 1) * q.pageSize,
      });
      return {
        data: rows.map((r) => ({ ...interactionJson(r), rank: r.rank })),
        pagination: pagination(q.page, q.pageSize, total),
      };
    });
    return c.json({ ...body, data: revealInteractions(ctx.pii, body.data) }, 200);
  });
  return app;
}
