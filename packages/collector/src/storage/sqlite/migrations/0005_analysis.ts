/**
 * Analysis bookkeeping: a lease per claimed row (so a crashed worker's rows are picked up again), a
 * failure mark (so a row that keeps failing is not retried forever), and detected anomalies.
 */
const NOW = `(CAST(unixepoch('subsec') * 1000 AS INTEGER))`;
const UUID = `(lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))))`;

export default /* sql */ `
ALTER TABLE customer_interactions ADD COLUMN analysis_claimed_until INTEGER;
ALTER TABLE customer_interactions ADD COLUMN analysis_failed_at INTEGER;
DROP INDEX IF EXISTS interactions_unprocessed_idx;
CREATE INDEX interactions_pending_analysis_idx ON customer_interactions (received_at)
  WHERE processed_at IS NULL AND analysis_failed_at IS NULL AND content IS NOT NULL;

CREATE TABLE anomalies (
  id TEXT PRIMARY KEY NOT NULL DEFAULT ${UUID},
  organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  dedupe_key TEXT NOT NULL,
  metric TEXT NOT NULL,
  granularity TEXT NOT NULL,
  method TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('spike', 'drop')),
  scope_type TEXT NOT NULL CHECK (scope_type IN ('organization', 'channel', 'segment')),
  scope_value TEXT,
  bucket_time INTEGER NOT NULL,
  value REAL NOT NULL,
  expected REAL NOT NULL,
  score REAL NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  description TEXT NOT NULL,
  detected_at INTEGER NOT NULL DEFAULT ${NOW},
  notified_at INTEGER,
  created_at INTEGER NOT NULL DEFAULT ${NOW},
  updated_at INTEGER NOT NULL DEFAULT ${NOW},
  UNIQUE (organization_id, dedupe_key)
);
CREATE INDEX anomalies_org_detected_idx ON anomalies (organization_id, detected_at DESC);
CREATE TRIGGER anomalies_touch AFTER UPDATE ON anomalies
  FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
  BEGIN UPDATE anomalies SET updated_at = ${NOW} WHERE id = NEW.id; END;
`;
