/**
 * Analysis bookkeeping: a lease per claimed row (so a crashed worker's rows are picked up again), a
 * failure mark (so a row that keeps failing is not retried forever), and detected anomalies.
 */
export default /* sql */ `
ALTER TABLE customer_interactions
  ADD COLUMN analysis_claimed_until timestamptz,
  ADD COLUMN analysis_failed_at timestamptz;
DROP INDEX IF EXISTS interactions_unprocessed_idx;
CREATE INDEX interactions_pending_analysis_idx ON customer_interactions (received_at)
  WHERE processed_at IS NULL AND analysis_failed_at IS NULL AND content IS NOT NULL;

CREATE TABLE anomalies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  dedupe_key text NOT NULL,
  metric text NOT NULL,
  granularity text NOT NULL,
  method text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('spike', 'drop')),
  scope_type text NOT NULL CHECK (scope_type IN ('organization', 'channel', 'segment')),
  scope_value text,
  bucket_time timestamptz NOT NULL,
  value double precision NOT NULL,
  expected double precision NOT NULL,
  score double precision NOT NULL,
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  description text NOT NULL,
  detected_at timestamptz NOT NULL DEFAULT now(),
  notified_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, dedupe_key)
);
CREATE INDEX anomalies_org_detected_idx ON anomalies (organization_id, detected_at DESC);
CREATE TRIGGER anomalies_touch BEFORE UPDATE ON anomalies FOR EACH ROW EXECUTE FUNCTION heed_touch_updated_at();
`;
