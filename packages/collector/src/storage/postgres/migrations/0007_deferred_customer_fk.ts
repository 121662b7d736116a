/**
 * Ingest writes a chunk's interactions before their customers (customer ids are derived from the
 * external id), so the foreign key to customers is checked at commit instead of per row.
 */
export default /* sql */ `
ALTER TABLE customer_interactions
  ALTER CONSTRAINT customer_interactions_customer_id_fkey DEFERRABLE INITIALLY DEFERRED;
`;
