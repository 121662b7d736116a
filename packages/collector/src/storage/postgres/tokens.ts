import { uuidv7 } from '@heed/protocol';
import type pg from 'pg';
import type { NewRefreshToken, RefreshTokenStore, RotateResult } from '../types.js';

interface TokenRow {
  id: string;
  user_id: string;
  family_id: string;
  expires_at: Date;
  revoked_at: Date | null;
  replaced_by: string | null;
  organization_id: string;
}

const INSERT = `INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_ip)
  VALUES ($1, $2, $3, $4, $5, $6)`;

export class PostgresRefreshTokens implements RefreshTokenStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(t: NewRefreshToken): Promise<void> {
    await this.pool.query(INSERT, [uuidv7(), t.userId, t.familyId, t.tokenHash, t.expiresAt, t.createdIp]);
  }

  async rotate(oldHash: string, next: Omit<NewRefreshToken, 'userId' | 'familyId'>): Promise<RotateResult> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // FOR UPDATE: two concurrent uses of one token serialise; the second one is a reuse.
      const { rows } = await client.query<TokenRow>(
        `SELECT rt.id, rt.user_id, rt.family_id, rt.expires_at, rt.revoked_at, rt.replaced_by, u.organization_id
         FROM refresh_tokens rt JOIN users u ON u.id = rt.user_id
         WHERE rt.token_hash = $1 FOR UPDATE OF rt`,
        [oldHash],
      );
      const row = rows[0];
      let result: RotateResult;
      if (!row) result = { status: 'invalid' };
      else {
        const who = { userId: row.user_id, organizationId: row.organization_id, familyId: row.family_id };
        if (row.revoked_at !== null) {
          if (row.replaced_by === null) result = { status: 'invalid' };
          else {
            await client.query(
              'UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL',
              [row.family_id],
            );
            result = { status: 'reused', ...who };
          }
        } else if (row.expires_at.getTime() <= Date.now()) result = { status: 'invalid' };
        else {
          const id = uuidv7();
          await client.query(INSERT, [
            id,
            row.user_id,
            row.family_id,
            next.tokenHash,
            next.expiresAt,
            next.createdIp,
          ]);
          await client.query('UPDATE refresh_tokens SET revoked_at = now(), replaced_by = $2 WHERE id = $1', [
            row.id,
            id,
          ]);
          result = { status: 'rotated', ...who };
        }
      }
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async revokeForUser(userId: string): Promise<number> {
    const r = await this.pool.query(
      'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
      [userId],
    );
    return r.rowCount ?? 0;
  }
}
