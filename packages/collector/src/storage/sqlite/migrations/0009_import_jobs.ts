/**
 * Import jobs (POST /api/import): stored so that GET /api/import/:id answers after a restart.
 * `progress` is written at most about once a second per job (and on phase changes), so `updated_at`
 * doubles as the job's heartbeat: a 'running' job whose row has not been touched for minutes belongs to
 * a process that is gone.
 */
const NOW = `(CAST(unixepoch('subsec') * 1000 AS INTEGER))`;
const UUID = `(lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))))`;

export default /* sql */ `
CREATE TABLE import_jobs (
  id TEXT PRIMARY KEY NOT NULL DEFAULT ${UUID},
  organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  format TEXT NOT NULL CHECK (length(format) > 0),
  progress TEXT NOT NULL CHECK (json_valid(progress)),
  profile TEXT CHECK (profile IS NULL OR json_valid(profile)),
  summary TEXT CHECK (summary IS NULL OR json_valid(summary)),
  error TEXT,
  created_at INTEGER NOT NULL DEFAULT ${NOW},
  finished_at INTEGER,
  updated_at INTEGER NOT NULL DEFAULT ${NOW}
);
CREATE INDEX import_jobs_org_created_idx ON import_jobs (organization_id, created_at DESC);
-- The start-up sweep looks for running jobs only.
CREATE INDEX import_jobs_running_idx ON import_jobs (updated_at) WHERE status = 'running';
CREATE TRIGGER import_jobs_touch AFTER UPDATE ON import_jobs
  FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
  BEGIN UPDATE import_jobs SET updated_at = ${NOW} WHERE id = NEW.id; END;
`;
