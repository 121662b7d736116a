import { isUuid } from '@heed/protocol';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';
import { generateApiKey } from '../../keys.js';
import type { AuthVariables } from '../../middleware/auth.js';
import type { ApiKeySummary } from '../../storage/types.js';
import { ADMIN } from '../auth/schemas.js';
import { bearer, errors, idParam, ok } from '../schemas.js';

const keySchema = z
  .object({
    id: z.string(),
    kind: z.enum(['write', 'secret']),
    name: z.string(),
    prefix: z.string().openapi({ description: 'The first characters of the key, to recognise it' }),
    allowedOrigins: z.array(z.string()).nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');

function keyJson(k: ApiKeySummary): z.infer<typeof keySchema> {
  return {
    id: k.id,
    kind: k.kind,
    name: k.name,
    prefix: k.keyPrefix,
    allowedOrigins: k.allowedOrigins,
    createdBy: k.createdBy,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

const origin = z
  .string()
  .max(300)
  .regex(/^https?:\/\/[^/\s]+$/, 'must be an origin such as https://app.example.com (no path)');

const createKeyRoute = createRoute({
  method: 'post',
  path: '/api/keys',
  tags: ['API keys'],
  summary:
    'Create a write key (ingest only) or a secret key (server SDKs); the key is shown only in this answer',
  security: bearer,
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            kind: z.enum(['write', 'secret']),
            name: z.string().min(1).max(200),
            allowedOrigins: z.array(origin).max(50).optional().openapi({
              description: 'Write keys only: browsers may send events only from these origins',
            }),
          }),
        },
      },
    },
  },
  responses: { 201: ok('Created', keySchema.extend({ key: z.string() })), ...errors },
});

const listKeysRoute = createRoute({
  method: 'get',
  path: '/api/keys',
  tags: ['API keys'],
  summary: "Your organization's API keys, revoked ones included (never the secrets)",
  security: bearer,
  responses: { 200: ok('Keys', z.object({ data: z.array(keySchema) })), ...errors },
});

const revokeKeyRoute = createRoute({
  method: 'delete',
  path: '/api/keys/{id}',
  tags: ['API keys'],
  summary: 'Revoke a key: requests with it are refused from now on',
  security: bearer,
  request: { params: idParam },
  responses: { 200: ok('The revoked key', keySchema), ...errors },
});

/** API keys: admins create, list and revoke their organization's keys. */
export function keysRoutes(ctx: AppContext) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
  const { storage } = ctx;
  const admin = ctx.auth(ADMIN);
  app.use('/api/keys', admin);
  app.use('/api/keys/*', admin);

  app.openapi(createKeyRoute, async (c) => {
    const body = c.req.valid('json');
    const { organizationId, userId, apiKeyId } = c.get('auth');
    if (body.kind === 'secret' && body.allowedOrigins?.length) {
      throw new HeedError('validation_failed', 'Secret keys are for servers: they take no allowed origins', {
        details: [{ field: 'allowedOrigins', message: 'only write keys have allowed origins' }],
      });
    }
    const generated = generateApiKey(body.kind);
    const id = await storage.createApiKey({
      organizationId,
      kind: body.kind,
      name: body.name,
      keyHash: generated.hash,
      keyPrefix: generated.prefix,
      allowedOrigins: body.allowedOrigins?.length ? body.allowedOrigins : null,
      createdBy: apiKeyId ? null : userId,
    });
    const key = await storage.keys.get(organizationId, id);
    if (!key) throw new HeedError('internal', 'The key was not stored');
    await ctx.audit(c, {
      action: 'key.created',
      resourceType: 'api_key',
      resourceId: id,
      details: { kind: key.kind, name: key.name, prefix: key.keyPrefix },
    });
    return c.json({ ...keyJson(key), key: generated.key }, 201);
  });

  app.openapi(listKeysRoute, async (c) => {
    const keys = await storage.keys.list(c.get('auth').organizationId);
    return c.json({ data: keys.map(keyJson) }, 200);
  });

  app.openapi(revokeKeyRoute, async (c) => {
    const { organizationId } = c.get('auth');
    const { id } = c.req.valid('param');
    const key = isUuid(id) ? await storage.keys.revoke(organizationId, id) : null;
    if (!key) throw new HeedError('not_found', 'No such API key');
    await ctx.invalidateKeys();
    await ctx.audit(c, {
      action: 'key.revoked',
      resourceType: 'api_key',
      resourceId: id,
      details: { kind: key.kind, name: key.name, prefix: key.keyPrefix },
    });
    return c.json(keyJson(key), 200);
  });

  return app;
}
