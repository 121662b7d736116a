import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.js';
import type { AuthVariables } from '../../middleware/auth.js';
import { ADMIN } from '../auth/schemas.js';
import { bearer, errors } from '../schemas.js';

const entrySchema = z
  .object({
    id: z.string(),
    userId: z.string().nullable(),
    action: z.string(),
    resourceType: z.string(),
    resourceId: z.string().nullable(),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
  })
  .openapi('AuditEntry');

const listAuditRoute = createRoute({
  method: 'get',
  path: '/api/audit-log',
  tags: ['Audit'],
  summary: "Your organization's audit log, newest first (admin). Page with `before` = the last createdAt",
  security: bearer,
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(500).default(100),
      before: z.iso.datetime({ offset: true }).optional(),
    }),
  },
  responses: {
    200: {
      description: 'Entries',
      content: { 'application/json': { schema: z.object({ data: z.array(entrySchema) }) } },
    },
    ...errors,
  },
});

/** The append-only audit log of admin actions, readable by admins of the organization. */
export function auditRoutes(ctx: AppContext) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
  app.use('/api/audit-log', ctx.auth(ADMIN));
  app.openapi(listAuditRoute, async (c) => {
    const q = c.req.valid('query');
    const entries = await ctx.storage.audit.list(c.get('auth').organizationId, {
      limit: q.limit,
      ...(q.before ? { before: new Date(q.before) } : {}),
    });
    return c.json(
      {
        data: entries.map((e) => ({
          id: e.id,
          userId: e.userId,
          action: e.action,
          resourceType: e.resourceType,
          resourceId: e.resourceId,
          ip: e.ip,
          details: e.details,
          createdAt: e.createdAt.toISOString(),
        })),
      },
      200,
    );
  });
  return app;
}
