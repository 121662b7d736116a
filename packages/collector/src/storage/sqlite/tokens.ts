import { uuidv7 } from '@heed/protocol';
import type Database from 'better-sqlite3';
import type { NewRefreshToken, RefreshTokenStore, RotateResult } from '../types.js';

interface TokenRow {
  id: string;
  user_id: string;
  family_id: string;
  expires_at: number;
  revoked_at: number | null;
  replaced_by: string | null;
  organization_id: string;
}

export class SqliteRefreshTokens implements RefreshTokenStore {
  constructor(private readonly sqlite: Database.Database) {}

  async create(token: NewRefreshToken): Promise<void> {
    this.insert(uuidv7(), token);
  }

  async rotate(oldHash: string, next: Omit<NewRefreshToken, 'userId' | 'familyId'>): Promise<RotateResult> {
    const run = this.sqlite.transaction((): RotateResult => {
      const row = this.sqlite
        .prepare(
          `SELECT rt.id, rt.user_id, rt.family_id, rt.expires_at, rt.revoked_at, rt.replaced_by, u.organization_id
           FROM refresh_tokens rt JOIN users u ON u.id = rt.user_id WHERE rt.token_hash = ?`,
        )
        .get(oldHash) as TokenRow | undefined;
      if (!row) return { status: 'invalid' };
      const now = Date.now();
      const who = { userId: row.user_id, organizationId: row.organization_id, familyId: row.family_id };
      if (row.revoked_at !== null) {
        if (row.replaced_by === null) return { status: 'invalid' };
        this.sqlite
          .prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL')
          .run(now, row.family_id);
        return { status: 'reused', ...who };
      }
      if (row.expires_at <= now) return { status: 'invalid' };
      const id = uuidv7();
      this.insert(id, { ...next, userId: row.user_id, familyId: row.family_id });
      this.sqlite
        .prepare('UPDATE refresh_tokens SET revoked_at = ?, replaced_by = ? WHERE id = ?')
        .run(now, id, row.id);
      return { status: 'rotated', ...who };
    });
    return run.immediate();
  }

  async revokeForUser(userId: string): Promise<number> {
    return this.sqlite
      .prepare('UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL')
      .run(Date.now(), userId).changes;
  }

  private insert(id: string, t: NewRefreshToken): void {
    this.sqlite
      .prepare(
        `INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_ip)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(id, t.userId, t.familyId, t.tokenHash, t.expiresAt.getTime(), t.createdIp);
  }
}
