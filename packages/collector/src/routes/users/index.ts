import { isUuid } from '@heed/protocol';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { hashPassword } from '../../auth/passwords.js';
import { generatePassword } from '../../bootstrap.js';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';
import type { AuthVariables } from '../../middleware/auth.js';
import type { User } from '../../storage/types.js';
import { checkPolicy } from '../auth/index.js';
import { ADMIN, passwordField, userJson, userSchema } from '../auth/schemas.js';
import { bearer, errors, idParam, ok } from '../schemas.js';

const role = z.enum(['admin', 'analyst', 'viewer']);

const createUserRoute = createRoute({
  method: 'post',
  path: '/api/users',
  tags: ['Users'],
  summary: 'Create a user in your organization (admin). Without a password one is generated and shown once',
  security: bearer,
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            email: z.email().max(320),
            name: z.string().min(1).max(200).optional(),
            role,
            password: passwordField.optional(),
          }),
        },
      },
    },
  },
  responses: {
    201: ok('Created', userSchema.extend({ temporaryPassword: z.string().optional() })),
    ...errors,
  },
});

const listUsersRoute = createRoute({
  method: 'get',
  path: '/api/users',
  tags: ['Users'],
  summary: "Your organization's users (admin)",
  security: bearer,
  responses: { 200: ok('Users', z.object({ data: z.array(userSchema) })), ...errors },
});

const getUserRoute = createRoute({
  method: 'get',
  path: '/api/users/{id}',
  tags: ['Users'],
  summary: 'One user (admin)',
  security: bearer,
  request: { params: idParam },
  responses: { 200: ok('The user', userSchema), ...errors },
});

const updateUserRoute = createRoute({
  method: 'patch',
  path: '/api/users/{id}',
  tags: ['Users'],
  summary: "Change a user's role or name, deactivate or reactivate it (admin); ends its sessions",
  security: bearer,
  request: {
    params: idParam,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            role: role.optional(),
            name: z.string().min(1).max(200).nullable().optional(),
            isActive: z.boolean().optional(),
          }),
        },
      },
    },
  },
  responses: { 200: ok('The user', userSchema), ...errors },
});

/** Users admin: create, list, read, change role / deactivate. Admins only, own organization only. */
export function usersRoutes(ctx: AppContext) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
  const { storage } = ctx;
  const admin = ctx.auth(ADMIN);
  app.use('/api/users', admin);
  app.use('/api/users/*', admin);

  /** Another organization's id, or no id at all, is the same 404. */
  const findUser = async (organizationId: string, id: string): Promise<User> => {
    const user = isUuid(id) ? await storage.users.findById(organizationId, id) : null;
    if (!user) throw new HeedError('not_found', 'No such user');
    return user;
  };

  app.openapi(createUserRoute, async (c) => {
    const body = c.req.valid('json');
    const { organizationId } = c.get('auth');
    if (body.password !== undefined) checkPolicy(body.password, 'password');
    const temporaryPassword = body.password === undefined ? generatePassword() : undefined;
    if (await storage.users.findByEmail(body.email)) {
      throw new HeedError('conflict', 'A user with this email already exists');
    }
    const user = await storage.users.create({
      organizationId,
      email: body.email,
      name: body.name ?? null,
      role: body.role,
      passwordHash: await hashPassword(body.password ?? (temporaryPassword as string)),
    });
    await ctx.audit(c, {
      action: 'user.created',
      resourceType: 'user',
      resourceId: user.id,
      details: { role: user.role },
    });
    return c.json({ ...userJson(user), ...(temporaryPassword ? { temporaryPassword } : {}) }, 201);
  });

  app.openapi(listUsersRoute, async (c) => {
    const users = await storage.users.list(c.get('auth').organizationId);
    return c.json({ data: users.map(userJson) }, 200);
  });

  app.openapi(getUserRoute, async (c) => {
    const user = await findUser(c.get('auth').organizationId, c.req.valid('param').id);
    return c.json(userJson(user), 200);
  });

  app.openapi(updateUserRoute, async (c) => {
    const { organizationId, userId } = c.get('auth');
    const patch = c.req.valid('json');
    const before = await findUser(organizationId, c.req.valid('param').id);
    if (before.id === userId && (patch.isActive === false || (patch.role && patch.role !== 'admin'))) {
      throw new HeedError('conflict', 'You cannot deactivate yourself or remove your own admin role');
    }
    const user = await storage.users.update(organizationId, before.id, {
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.isActive !== undefined ? { isActive: patch.isActive } : {}),
    });
    if (!user) throw new HeedError('not_found', 'No such user');
    if (patch.isActive === false) await storage.tokens.revokeForUser(user.id);
    await ctx.invalidateUser(organizationId, user.id);
    const changes: Record<string, string | boolean | null> = {};
    if (patch.role !== undefined && patch.role !== before.role) changes.role = patch.role;
    if (patch.isActive !== undefined && patch.isActive !== before.isActive) changes.isActive = patch.isActive;
    if (patch.name !== undefined && patch.name !== before.name) changes.name = patch.name;
    const action =
      changes.isActive === false
        ? 'user.deactivated'
        : changes.isActive === true
          ? 'user.reactivated'
          : changes.role !== undefined
            ? 'user.role_changed'
            : 'user.updated';
    await ctx.audit(c, {
      action,
      resourceType: 'user',
      resourceId: user.id,
      details: { ...changes, ...(changes.role !== undefined ? { previousRole: before.role } : {}) },
    });
    return c.json(userJson(user), 200);
  });

  return app;
}
