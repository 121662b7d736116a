import type pg from 'pg';
import type { ApiKeyStore, ApiKeySummary } from '../types.js';

interface KeyRow {
  id: string;
  organization_id: string;
  kind: 'write' | 'secret';
  name: string;
  key_prefix: string;
  allowed_origins: string[] | null;
  created_by: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = `id, organization_id, kind, name, key_prefix, allowed_origins, created_by, created_at,
  last_used_at, revoked_at`;

function toSummary(r: KeyRow): ApiKeySummary {
  return {
    id: r.id,
    organizationId: r.organization_id,
    kind: r.kind,
    name: r.name,
    keyPrefix: r.key_prefix,
    allowedOrigins: r.allowed_origins,
    createdBy: r.created_by,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

export class PostgresApiKeys implements ApiKeyStore {
  constructor(private readonly pool: pg.Pool) {}

  async list(organizationId: string): Promise<ApiKeySummary[]> {
    const { rows } = await this.pool.query<KeyRow>(
      `SELECT ${COLUMNS} FROM api_keys WHERE organization_id = $1 ORDER BY created_at, id`,
      [organizationId],
    );
    return rows.map(toSummary);
  }

  async get(organizationId: string, id: string): Promise<ApiKeySummary | null> {
    const { rows } = await this.pool.query<KeyRow>(
      `SELECT ${COLUMNS} FROM api_keys WHERE organization_id = $1 AND id = $2`,
      [organizationId, id],
    );
    return rows[0] ? toSummary(rows[0]) : null;
  }

  async revoke(organizationId: string, id: string): Promise<ApiKeySummary | null> {
    const { rows } = await this.pool.query<KeyRow>(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
       WHERE organization_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [organizationId, id],
    );
    return rows[0] ? toSummary(rows[0]) : null;
  }
}
