import type pg from 'pg';
import { importJobAssignments } from '../rows.js';
import {
  IMPORT_INTERRUPTED,
  type ImportJob,
  type ImportJobPatch,
  type ImportJobProgress,
  type ImportJobStatus,
  type ImportJobStore,
  type NewImportJob,
} from '../types.js';

interface JobRow {
  id: string;
  organization_id: string;
  status: ImportJobStatus;
  format: string;
  progress: ImportJobProgress;
  profile: unknown | null;
  summary: unknown | null;
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
  updated_at: Date;
}

const COLUMNS = `id, organization_id, status, format, progress, profile, summary, error, created_at,
  finished_at, updated_at`;

function toJob(r: JobRow): ImportJob {
  return {
    id: r.id,
    organizationId: r.organization_id,
    status: r.status,
    format: r.format,
    progress: r.progress,
    profile: r.profile,
    summary: r.summary,
    error: r.error,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    updatedAt: r.updated_at,
  };
}

export class PostgresImportJobs implements ImportJobStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(job: NewImportJob): Promise<ImportJob> {
    const { rows } = await this.pool.query<JobRow>(
      `INSERT INTO import_jobs (id, organization_id, status, format, progress)
       VALUES ($1, $2, 'running', $3, $4) RETURNING ${COLUMNS}`,
      [job.id, job.organizationId, job.format, JSON.stringify(job.progress)],
    );
    return toJob(rows[0]!);
  }

  async update(organizationId: string, id: string, patch: ImportJobPatch): Promise<boolean> {
    const params: unknown[] = [organizationId, id];
    const sets = importJobAssignments(patch, (d) => d).map(([column, value]) => {
      params.push(value);
      return `${column} = $${params.length}`;
    });
    // An empty patch still touches the row (updated_at): a heartbeat.
    if (sets.length === 0) sets.push('status = status');
    const { rowCount } = await this.pool.query(
      `UPDATE import_jobs SET ${sets.join(', ')} WHERE organization_id = $1 AND id = $2`,
      params,
    );
    return (rowCount ?? 0) > 0;
  }

  async get(organizationId: string, id: string): Promise<ImportJob | null> {
    const { rows } = await this.pool.query<JobRow>(
      `SELECT ${COLUMNS} FROM import_jobs WHERE organization_id = $1 AND id = $2`,
      [organizationId, id],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  async failInterrupted(staleMs: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `UPDATE import_jobs SET status = 'failed', error = $1, finished_at = now()
       WHERE status = 'running' AND updated_at <= now() - $2::double precision * interval '1 millisecond'`,
      [IMPORT_INTERRUPTED, staleMs],
    );
    return rowCount ?? 0;
  }

  async prune(organizationId: string, keep: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM import_jobs WHERE organization_id = $1 AND status <> 'running' AND id IN (
         SELECT id FROM import_jobs WHERE organization_id = $1 AND status <> 'running'
         ORDER BY created_at DESC, id DESC OFFSET $2)`,
      [organizationId, keep],
    );
    return rowCount ?? 0;
  }
}
