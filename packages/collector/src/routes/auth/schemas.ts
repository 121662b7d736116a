import { z } from '@hono/zod-openapi';
import type { User } from '../../storage/types.js';

export const ADMIN = ['admin'] as const;

export const userSchema = z
  .object({
    id: z.string(),
    organizationId: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: z.enum(['admin', 'analyst', 'viewer']),
    isActive: z.boolean(),
    lastLoginAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('User');

export function userJson(u: User): z.infer<typeof userSchema> {
  return {
    id: u.id,
    organizationId: u.organizationId,
    email: u.email,
    name: u.name,
    role: u.role,
    isActive: u.isActive,
    lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
    createdAt: u.createdAt.toISOString(),
  };
}

export const sessionSchema = z
  .object({
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().openapi({ description: 'Seconds until the access token expires' }),
    refreshToken: z.string(),
    refreshExpiresIn: z.number().openapi({ description: 'Seconds until the refresh token expires' }),
    user: userSchema,
  })
  .openapi('Session');

export const passwordField = z.string().min(1).max(200);
