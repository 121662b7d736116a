import { uuidv7 } from '@heed/protocol';
import type Database from 'better-sqlite3';
import type { AuditEntry, AuditStore, NewAuditEntry } from '../types.js';

interface AuditRow {
  id: string;
  organization_id: string;
  user_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  ip: string | null;
  details: string;
  created_at: number;
}

export class SqliteAudit implements AuditStore {
  constructor(private readonly sqlite: Database.Database) {}

  async append(e: NewAuditEntry): Promise<void> {
    this.sqlite
      .prepare(
        `INSERT INTO audit_log (id, organization_id, user_id, action, resource_type, resource_id, ip, details, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        uuidv7(),
        e.organizationId,
        e.userId,
        e.action,
        e.resourceType,
        e.resourceId,
        e.ip,
        JSON.stringify(e.details ?? {}),
        Date.now(),
      );
  }

  async list(organizationId: string, opts: { limit: number; before?: Date }): Promise<AuditEntry[]> {
    const rows = this.sqlite
      .prepare(
        `SELECT * FROM audit_log WHERE organization_id = ? AND created_at < ?
         ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
      .all(organizationId, opts.before?.getTime() ?? Number.MAX_SAFE_INTEGER, opts.limit) as AuditRow[];
    return rows.map((r) => ({
      id: r.id,
      organizationId: r.organization_id,
      userId: r.user_id,
      action: r.action,
      resourceType: r.resource_type,
      resourceId: r.resource_id,
      ip: r.ip,
      details: JSON.parse(r.details),
      createdAt: new Date(r.created_at),
    }));
  }
}
