import type Database from 'better-sqlite3';
import { importJobAssignments } from '../rows.js';
import {
  IMPORT_INTERRUPTED,
  type ImportJob,
  type ImportJobPatch,
  type ImportJobStatus,
  type ImportJobStore,
  type NewImportJob,
} from '../types.js';

interface JobRow {
  id: string;
  organization_id: string;
  status: ImportJobStatus;
  format: string;
  progress: string;
  profile: string | null;
  summary: string | null;
  error: string | null;
  created_at: number;
  finished_at: number | null;
  updated_at: number;
}

const COLUMNS = `id, organization_id, status, format, progress, profile, summary, error, created_at,
  finished_at, updated_at`;

const parse = (s: string | null) => (s === null ? null : JSON.parse(s));

function toJob(r: JobRow): ImportJob {
  return {
    id: r.id,
    organizationId: r.organization_id,
    status: r.status,
    format: r.format,
    progress: JSON.parse(r.progress),
    profile: parse(r.profile),
    summary: parse(r.summary),
    error: r.error,
    createdAt: new Date(r.created_at),
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at),
    updatedAt: new Date(r.updated_at),
  };
}

export class SqliteImportJobs implements ImportJobStore {
  constructor(private readonly sqlite: Database.Database) {}

  async create(job: NewImportJob): Promise<ImportJob> {
    const row = this.sqlite
      .prepare(
        `INSERT INTO import_jobs (id, organization_id, status, format, progress)
         VALUES (?, ?, 'running', ?, ?) RETURNING ${COLUMNS}`,
      )
      .get(job.id, job.organizationId, job.format, JSON.stringify(job.progress)) as JobRow;
    return toJob(row);
  }

  async update(organizationId: string, id: string, patch: ImportJobPatch): Promise<boolean> {
    const assignments = importJobAssignments(patch, (d) => (d ? d.getTime() : null));
    const sets = assignments.map(([column]) => `${column} = ?`);
    const params = assignments.map(([, value]) => value);
    // An empty patch still touches the row (updated_at, by the trigger): a heartbeat.
    if (sets.length === 0) sets.push('status = status');
    const r = this.sqlite
      .prepare(`UPDATE import_jobs SET ${sets.join(', ')} WHERE organization_id = ? AND id = ?`)
      .run(...params, organizationId, id);
    return r.changes > 0;
  }

  async get(organizationId: string, id: string): Promise<ImportJob | null> {
    const row = this.sqlite
      .prepare(`SELECT ${COLUMNS} FROM import_jobs WHERE organization_id = ? AND id = ?`)
      .get(organizationId, id) as JobRow | undefined;
    return row ? toJob(row) : null;
  }

  async failInterrupted(staleMs: number): Promise<number> {
    const now = Date.now();
    const r = this.sqlite
      .prepare(
        `UPDATE import_jobs SET status = 'failed', error = ?, finished_at = ?
         WHERE status = 'running' AND updated_at <= ?`,
      )
      .run(IMPORT_INTERRUPTED, now, now - staleMs);
    return r.changes;
  }

  async prune(organizationId: string, keep: number): Promise<number> {
    const r = this.sqlite
      .prepare(
        `DELETE FROM import_jobs WHERE organization_id = ? AND status <> 'running' AND id IN (
           SELECT id FROM import_jobs WHERE organization_id = ? AND status <> 'running'
           ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?)`,
      )
      .run(organizationId, organizationId, keep);
    return r.changes;
  }
}
