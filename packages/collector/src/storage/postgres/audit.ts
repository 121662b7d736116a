import { uuidv7 } from '@heed/protocol';
import type pg from 'pg';
import type { AuditEntry, AuditStore, NewAuditEntry } from '../types.js';

interface AuditRow {
  id: string;
  organization_id: string;
  user_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  ip: string | null;
  details: AuditEntry['details'];
  created_at: Date;
}

export class PostgresAudit implements AuditStore {
  constructor(private readonly pool: pg.Pool) {}

  async append(e: NewAuditEntry): Promise<void> {
    await this.pool.query(
      `INSERT INTO audit_log (id, organization_id, user_id, action, resource_type, resource_id, ip, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        uuidv7(),
        e.organizationId,
        e.userId,
        e.action,
        e.resourceType,
        e.resourceId,
        e.ip,
        JSON.stringify(e.details ?? {}),
      ],
    );
  }

  async list(organizationId: string, opts: { limit: number; before?: Date }): Promise<AuditEntry[]> {
    const { rows } = await this.pool.query<AuditRow>(
      `SELECT * FROM audit_log WHERE organization_id = $1 AND ($2::timestamptz IS NULL OR created_at < $2)
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      [organizationId, opts.before ?? null, opts.limit],
    );
    return rows.map((r) => ({
      id: r.id,
      organizationId: r.organization_id,
      userId: r.user_id,
      action: r.action,
      resourceType: r.resource_type,
      resourceId: r.resource_id,
      ip: r.ip,
      details: r.details,
      createdAt: r.created_at,
    }));
  }
}
