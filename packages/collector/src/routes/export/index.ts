import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.js';
import type { AuthVariables } from '../../middleware/auth.js';
import { decryptMetadata } from '../../security/pii.js';
import type { InsightRow } from '../../storage/types.js';
import { filterQuery, READ_ROLES, toFilters } from '../insights/filters.js';
import { bearer, errorResponses } from '../schemas.js';
import { EXPORT_COLUMNS, exportStream } from './stream.js';

const exportRoute = createRoute({
  method: 'get',
  path: '/api/export',
  tags: ['Insights'],
  summary: 'Export the filtered interactions as NDJSON or CSV (streamed, oldest first)',
  description:
    'Takes the filters of /api/insights; without `from` the export covers all time. Streamed with ' +
    `keyset pagination, so it runs in constant memory on any table size. CSV columns: ${EXPORT_COLUMNS.join(', ')}; ` +
    'cells starting with = + - @ are prefixed with a quote so spreadsheets do not run them as formulas.',
  security: bearer,
  request: {
    query: z.object({ format: z.enum(['ndjson', 'csv']).default('ndjson'), ...filterQuery }),
  },
  responses: {
    200: {
      description: 'The interactions, one per line (NDJSON) or row (CSV with a header)',
      content: {
        'application/x-ndjson': { schema: z.string() },
        'text/csv': { schema: z.string() },
      },
    },
    ...errorResponses,
  },
});

/** `GET /api/export?format=ndjson|csv`. */
export function exportRoutes(ctx: AppContext) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
  app.use(exportRoute.path, ctx.auth(READ_ROLES));
  app.openapi(exportRoute, async (c) => {
    const q = c.req.valid('query');
    const filters = toFilters(c.get('auth').organizationId, q, { window: false });
    const csv = q.format === 'csv';
    const stamp = new Date().toISOString().slice(0, 10);
    const reveal = (r: InsightRow) => ({ ...r, metadata: decryptMetadata(ctx.pii, r.metadata) });
    // A bulk export carries customers' words and PII out of Heed: it is an audited action.
    await ctx.audit(c, {
      action: 'export.created',
      resourceType: 'interactions',
      resourceId: null,
      details: { format: q.format, filters: JSON.parse(JSON.stringify(q)) },
    });
    return c.body(exportStream(ctx.storage.insights, filters, q.format, 1000, reveal), 200, {
      'content-type': csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'content-disposition': `attachment; filename="interactions-${stamp}.${csv ? 'csv' : 'ndjson'}"`,
      'cache-control': 'no-store',
    });
  });
  return app;
}
