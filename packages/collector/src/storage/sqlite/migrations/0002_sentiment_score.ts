/** A scalar sentiment (positive - negative, in [-1, 1]) for filtering and sorting, set by analysis. */
export default /* sql */ `
ALTER TABLE customer_interactions
  ADD COLUMN sentiment_score REAL CHECK (sentiment_score BETWEEN -1 AND 1);
CREATE INDEX interactions_org_sentiment_idx ON customer_interactions (organization_id, sentiment_score)
  WHERE sentiment_score IS NOT NULL;
`;
