import { uuidv7 } from '@heed/protocol';
import { and, eq, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { NewUser, User, UserStore } from '../types.js';
import * as t from './schema.js';

type Row = typeof t.users.$inferSelect;

function toUser(row: Row): User {
  return {
    id: row.id,
    organizationId: row.organizationId,
    email: row.email,
    name: row.name,
    role: row.role,
    isActive: row.isActive,
    lastLoginAt: row.lastLoginAt,
    createdAt: row.createdAt,
  };
}

export class PostgresUsers implements UserStore {
  constructor(private readonly db: NodePgDatabase<typeof t>) {}

  async create(user: NewUser): Promise<User> {
    const [row] = await this.db
      .insert(t.users)
      .values({
        id: uuidv7(),
        organizationId: user.organizationId,
        email: user.email,
        name: user.name ?? null,
        passwordHash: user.passwordHash,
        role: user.role,
        isActive: true,
      })
      .returning();
    return toUser(row!);
  }

  async findById(organizationId: string, id: string): Promise<User | null> {
    const [row] = await this.db
      .select()
      .from(t.users)
      .where(and(eq(t.users.organizationId, organizationId), eq(t.users.id, id)))
      .limit(1);
    return row ? toUser(row) : null;
  }

  async findByEmail(email: string): Promise<(User & { passwordHash: string }) | null> {
    const [row] = await this.db
      .select()
      .from(t.users)
      .where(eq(sql`lower(${t.users.email})`, email.toLowerCase()))
      .limit(1);
    return row ? { ...toUser(row), passwordHash: row.passwordHash } : null;
  }
}
