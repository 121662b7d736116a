/**
 * Import jobs (POST /api/import): stored so that GET /api/import/:id answers after a restart and from
 * every collector instance. `progress` is written at most about once a second per job (and on phase
 * changes), so `updated_at` doubles as the job's heartbeat: a 'running' job whose row has not been
 * touched for minutes belongs to a process that is gone.
 */
export default /* sql */ `
CREATE TABLE import_jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  format text NOT NULL CHECK (length(format) > 0),
  progress jsonb NOT NULL,
  profile jsonb,
  summary jsonb,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_jobs_org_created_idx ON import_jobs (organization_id, created_at DESC);
-- The start-up sweep looks for running jobs only.
CREATE INDEX import_jobs_running_idx ON import_jobs (updated_at) WHERE status = 'running';
CREATE TRIGGER import_jobs_touch BEFORE UPDATE ON import_jobs FOR EACH ROW EXECUTE FUNCTION heed_touch_updated_at();
`;
