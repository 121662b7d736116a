/**
 * Insights queries: the sentiment label as a (virtual) column, and indexes for the frequent queries of
 * the insights API (listing, metrics, trends, export).
 */
export default /* sql */ `
ALTER TABLE customer_interactions
  ADD COLUMN sentiment_label TEXT GENERATED ALWAYS AS (json_extract(sentiment, '$.label')) VIRTUAL;

CREATE INDEX interactions_org_ts_id_idx ON customer_interactions (organization_id, timestamp DESC, id DESC);
DROP INDEX IF EXISTS interactions_org_timestamp_idx;
CREATE INDEX interactions_org_event_ts_idx ON customer_interactions (organization_id, event_type, timestamp DESC);
`;
