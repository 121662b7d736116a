import type Database from 'better-sqlite3';
import type { ApiKeyStore, ApiKeySummary } from '../types.js';

interface KeyRow {
  id: string;
  organization_id: string;
  kind: 'write' | 'secret';
  name: string;
  key_prefix: string;
  allowed_origins: string | null;
  created_by: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const COLUMNS = `id, organization_id, kind, name, key_prefix, allowed_origins, created_by, created_at,
  last_used_at, revoked_at`;
const date = (ms: number | null) => (ms === null ? null : new Date(ms));

function toSummary(r: KeyRow): ApiKeySummary {
  return {
    id: r.id,
    organizationId: r.organization_id,
    kind: r.kind,
    name: r.name,
    keyPrefix: r.key_prefix,
    allowedOrigins: r.allowed_origins === null ? null : (JSON.parse(r.allowed_origins) as string[]),
    createdBy: r.created_by,
    createdAt: new Date(r.created_at),
    lastUsedAt: date(r.last_used_at),
    revokedAt: date(r.revoked_at),
  };
}

export class SqliteApiKeys implements ApiKeyStore {
  constructor(private readonly sqlite: Database.Database) {}

  async list(organizationId: string): Promise<ApiKeySummary[]> {
    const rows = this.sqlite
      .prepare(`SELECT ${COLUMNS} FROM api_keys WHERE organization_id = ? ORDER BY created_at, id`)
      .all(organizationId) as KeyRow[];
    return rows.map(toSummary);
  }

  async get(organizationId: string, id: string): Promise<ApiKeySummary | null> {
    const row = this.sqlite
      .prepare(`SELECT ${COLUMNS} FROM api_keys WHERE organization_id = ? AND id = ?`)
      .get(organizationId, id) as KeyRow | undefined;
    return row ? toSummary(row) : null;
  }

  async revoke(organizationId: string, id: string): Promise<ApiKeySummary | null> {
    this.sqlite
      .prepare(
        'UPDATE api_keys SET revoked_at = ? WHERE organization_id = ? AND id = ? AND revoked_at IS NULL',
      )
      .run(Date.now(), organizationId, id);
    return this.get(organizationId, id);
  }
}
