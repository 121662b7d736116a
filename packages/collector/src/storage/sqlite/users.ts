import { uuidv7 } from '@heed/protocol';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { toUser } from '../rows.js';
import type { NewUser, User, UserPatch, UserStore } from '../types.js';
import * as t from './schema.js';

export class SqliteUsers implements UserStore {
  constructor(private readonly db: BetterSQLite3Database<typeof t>) {}

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
    const row = await this.db
      .select()
      .from(t.users)
      .where(and(eq(t.users.organizationId, organizationId), eq(t.users.id, id)))
      .get();
    return row ? toUser(row) : null;
  }

  async findByEmail(email: string): Promise<(User & { passwordHash: string }) | null> {
    const row = await this.db
      .select()
      .from(t.users)
      .where(eq(sql`lower(${t.users.email})`, email.toLowerCase()))
      .get();
    return row ? { ...toUser(row), passwordHash: row.passwordHash } : null;
  }

  async list(organizationId: string): Promise<User[]> {
    const rows = this.db
      .select()
      .from(t.users)
      .where(eq(t.users.organizationId, organizationId))
      .orderBy(asc(t.users.createdAt), asc(t.users.id))
      .all();
    return rows.map(toUser);
  }

  async update(organizationId: string, id: string, patch: UserPatch): Promise<User | null> {
    const set: Partial<typeof t.users.$inferInsert> = {};
    if (patch.role !== undefined) set.role = patch.role;
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.isActive !== undefined) set.isActive = patch.isActive;
    // A new role or a deactivation ends the sessions that carried the old state.
    if (patch.role !== undefined || patch.isActive === false) set.tokensValidAfter = new Date();
    if (Object.keys(set).length === 0) return this.findById(organizationId, id);
    const row = this.db
      .update(t.users)
      .set(set)
      .where(and(eq(t.users.organizationId, organizationId), eq(t.users.id, id)))
      .returning()
      .get();
    return row ? toUser(row) : null;
  }

  async setPassword(organizationId: string, id: string, passwordHash: string): Promise<void> {
    const now = new Date();
    this.db
      .update(t.users)
      .set({ passwordHash, passwordChangedAt: now, tokensValidAfter: now })
      .where(and(eq(t.users.organizationId, organizationId), eq(t.users.id, id)))
      .run();
  }

  async revokeAccessTokens(organizationId: string, id: string): Promise<void> {
    this.db
      .update(t.users)
      .set({ tokensValidAfter: new Date() })
      .where(and(eq(t.users.organizationId, organizationId), eq(t.users.id, id)))
      .run();
  }

  async recordLogin(organizationId: string, id: string, at: Date): Promise<void> {
    this.db
      .update(t.users)
      .set({ lastLoginAt: at })
      .where(and(eq(t.users.organizationId, organizationId), eq(t.users.id, id)))
      .run();
  }
}
