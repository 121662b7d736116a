/**
 * Insights at scale: an index for pages sorted by channel, and a daily rollup of the sentiment trends.
 *
 * `interaction_daily_rollups` holds, per organization, UTC day, channel and customer segment, the sums
 * the trend queries need. It is exact for every day that has no row in `interaction_rollup_dirty`: every
 * change that can alter a day's sums (an insert, a late event, a score written later, an update of
 * time/channel/customer, a delete, a customer's segment change) marks the day in the same transaction,
 * from the triggers below. The refresher (storage.rollups.refresh) recomputes marked days and clears
 * their marks; readers take unmarked days from the rollup and everything else from raw rows.
 *
 * A writer takes a shared advisory lock on its organization before marking; the refresher takes it
 * exclusively, so a day is never cleared while a change to it is still uncommitted.
 */
export default /* sql */ `
CREATE INDEX interactions_org_channel_ts_id_idx
  ON customer_interactions (organization_id, channel, "timestamp" DESC, id DESC);
-- Superseded by the index above (same leading columns).
DROP INDEX IF EXISTS interactions_org_channel_timestamp_idx;

CREATE TABLE interaction_daily_rollups (
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  day timestamptz NOT NULL,
  channel text NOT NULL,
  segment text,
  n bigint NOT NULL,
  scored bigint NOT NULL,
  ssum double precision,
  pos bigint NOT NULL,
  neg bigint NOT NULL,
  neu bigint NOT NULL
);
CREATE INDEX interaction_daily_rollups_org_day_idx ON interaction_daily_rollups (organization_id, day);

CREATE TABLE interaction_rollup_dirty (
  organization_id uuid NOT NULL,
  day timestamptz NOT NULL,
  PRIMARY KEY (organization_id, day)
);

CREATE FUNCTION heed_rollup_day(ts timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT date_trunc('day', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' $$;

-- Marks (organization, day) pairs, after a shared lock on each organization (in a fixed order).
CREATE FUNCTION heed_rollup_mark(orgs uuid[], days timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE o uuid;
BEGIN
  FOR o IN SELECT DISTINCT x FROM unnest(orgs) x ORDER BY x LOOP
    PERFORM pg_advisory_xact_lock_shared(7265656, hashtext(o::text));
  END LOOP;
  -- In key order: two writers creating the same new marks never wait on each other in a cycle.
  INSERT INTO interaction_rollup_dirty (organization_id, day)
  SELECT DISTINCT o2, d FROM unnest(orgs, days) AS v(o2, d) ORDER BY o2, d
  ON CONFLICT DO NOTHING;
END;
$$;

CREATE FUNCTION heed_rollup_mark_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM heed_rollup_mark(array_agg(organization_id), array_agg(day))
  FROM (SELECT DISTINCT organization_id, heed_rollup_day("timestamp") AS day FROM new_rows) v
  HAVING count(*) > 0;
  RETURN NULL;
END;
$$;

CREATE FUNCTION heed_rollup_mark_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM heed_rollup_mark(array_agg(organization_id), array_agg(day))
  FROM (SELECT DISTINCT organization_id, heed_rollup_day("timestamp") AS day FROM old_rows) v
  HAVING count(*) > 0;
  RETURN NULL;
END;
$$;

-- Only rows whose trend inputs changed (not the analysis claims and leases, for instance).
CREATE FUNCTION heed_rollup_mark_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM heed_rollup_mark(array_agg(organization_id), array_agg(day))
  FROM (
    SELECT DISTINCT x.organization_id, heed_rollup_day(x."timestamp") AS day
    FROM old_rows o JOIN new_rows n ON n.id = o.id,
      LATERAL (VALUES (o.organization_id, o."timestamp"), (n.organization_id, n."timestamp")) AS x(organization_id, "timestamp")
    WHERE (o.organization_id, o.customer_id, o."timestamp", o.channel, o.sentiment_score, o.sentiment_label)
      IS DISTINCT FROM (n.organization_id, n.customer_id, n."timestamp", n.channel, n.sentiment_score, n.sentiment_label)
  ) v
  HAVING count(*) > 0;
  RETURN NULL;
END;
$$;

CREATE TRIGGER interactions_rollup_insert AFTER INSERT ON customer_interactions
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION heed_rollup_mark_inserted();
CREATE TRIGGER interactions_rollup_update AFTER UPDATE ON customer_interactions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION heed_rollup_mark_updated();
CREATE TRIGGER interactions_rollup_delete AFTER DELETE ON customer_interactions
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION heed_rollup_mark_deleted();

-- TRUNCATE fires no DELETE trigger: the rollup of every organization goes with the rows.
CREATE FUNCTION heed_rollup_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM interaction_daily_rollups;
  DELETE FROM interaction_rollup_dirty;
  RETURN NULL;
END;
$$;
CREATE TRIGGER interactions_rollup_truncate AFTER TRUNCATE ON customer_interactions
  FOR EACH STATEMENT EXECUTE FUNCTION heed_rollup_truncated();

-- Trends split by segment use the customer's current segment: a change re-marks the customer's days.
CREATE FUNCTION heed_rollup_mark_segment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM heed_rollup_mark(array_agg(organization_id), array_agg(day))
  FROM (SELECT DISTINCT NEW.organization_id, heed_rollup_day(ci."timestamp") AS day
        FROM customer_interactions ci WHERE ci.customer_id = NEW.id) v(organization_id, day)
  HAVING count(*) > 0;
  RETURN NULL;
END;
$$;
CREATE TRIGGER customers_rollup_segment AFTER UPDATE OF segment ON customers
  FOR EACH ROW WHEN (OLD.segment IS DISTINCT FROM NEW.segment) EXECUTE FUNCTION heed_rollup_mark_segment();

-- Existing data: every day is marked, and the refresher builds the rollup in the background.
INSERT INTO interaction_rollup_dirty (organization_id, day)
SELECT DISTINCT organization_id, heed_rollup_day("timestamp") FROM customer_interactions;
`;
