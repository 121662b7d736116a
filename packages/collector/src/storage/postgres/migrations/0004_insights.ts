/**
 * Insights queries: the sentiment label as a column (for distributions), and indexes that keep the
 * frequent queries of the insights API (listing, metrics, trends, export) on index scans.
 */
export default /* sql */ `
ALTER TABLE customer_interactions
  ADD COLUMN sentiment_label text GENERATED ALWAYS AS (sentiment->>'label') STORED;

-- Listing, export keyset and aggregates over a time window: (timestamp, id) is the sort and cursor key;
-- the included columns let metrics and trends run as index-only scans.
CREATE INDEX interactions_org_ts_id_idx ON customer_interactions (organization_id, "timestamp" DESC, id DESC)
  INCLUDE (channel, event_type, customer_id, sentiment_score, sentiment_label);
-- Superseded by the index above (same leading columns).
DROP INDEX IF EXISTS interactions_org_timestamp_idx;

-- Event-type filter within a time window.
CREATE INDEX interactions_org_event_ts_idx ON customer_interactions (organization_id, event_type, "timestamp" DESC);

-- Customer search by external id prefix (LIKE 'abc%').
CREATE INDEX customers_org_external_prefix_idx ON customers (organization_id, external_id text_pattern_ops);

-- Trend buckets (as the insights queries compute them): without statistics the planner assumes one
-- group per row and sorts instead of hashing a few hundred groups.
CREATE STATISTICS interactions_bucket_hour_stats
  ON (date_part('epoch', date_trunc('hour', "timestamp" AT TIME ZONE 'UTC')) * 1000) FROM customer_interactions;
CREATE STATISTICS interactions_bucket_day_stats
  ON (date_part('epoch', date_trunc('day', "timestamp" AT TIME ZONE 'UTC')) * 1000) FROM customer_interactions;
CREATE STATISTICS interactions_bucket_week_stats
  ON (date_part('epoch', date_trunc('week', "timestamp" AT TIME ZONE 'UTC')) * 1000) FROM customer_interactions;
`;
