/**
 * Insights at scale: an index for pages sorted by channel, and a daily rollup of the sentiment trends.
 *
 * `interaction_daily_rollups` holds, per organization, UTC day (epoch ms), channel and customer segment,
 * the sums the trend queries need. It is exact for every day that has no row in
 * `interaction_rollup_dirty`: every change that can alter a day's sums (an insert, a late event, a score
 * written later, an update of time/channel/customer, a delete, a customer's segment change) marks the day
 * in the same transaction, from the triggers below. The refresher (storage.rollups.refresh) recomputes
 * marked days and clears their marks; readers take unmarked days from the rollup and the rest from raw
 * rows. SQLite runs one write transaction at a time, so a mark cannot be cleared under a writer.
 */
const DAY = 86_400_000;
const day = (ts: string) => `((${ts} / ${DAY}) * ${DAY})`;

export default /* sql */ `
CREATE INDEX interactions_org_channel_ts_id_idx
  ON customer_interactions (organization_id, channel, timestamp DESC, id DESC);
-- Superseded by the index above (same leading columns).
DROP INDEX IF EXISTS interactions_org_channel_timestamp_idx;

CREATE TABLE interaction_daily_rollups (
  organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  day INTEGER NOT NULL,
  channel TEXT NOT NULL,
  segment TEXT,
  n INTEGER NOT NULL,
  scored INTEGER NOT NULL,
  ssum REAL,
  pos INTEGER NOT NULL,
  neg INTEGER NOT NULL,
  neu INTEGER NOT NULL
);
CREATE INDEX interaction_daily_rollups_org_day_idx ON interaction_daily_rollups (organization_id, day);

CREATE TABLE interaction_rollup_dirty (
  organization_id TEXT NOT NULL,
  day INTEGER NOT NULL,
  PRIMARY KEY (organization_id, day)
) WITHOUT ROWID;

CREATE TRIGGER interactions_rollup_insert AFTER INSERT ON customer_interactions
  BEGIN
    INSERT OR IGNORE INTO interaction_rollup_dirty (organization_id, day)
      VALUES (NEW.organization_id, ${day('NEW.timestamp')});
  END;
CREATE TRIGGER interactions_rollup_delete AFTER DELETE ON customer_interactions
  BEGIN
    INSERT OR IGNORE INTO interaction_rollup_dirty (organization_id, day)
      VALUES (OLD.organization_id, ${day('OLD.timestamp')});
  END;
CREATE TRIGGER interactions_rollup_update
  AFTER UPDATE OF organization_id, customer_id, timestamp, channel, sentiment, sentiment_score ON customer_interactions
  WHEN OLD.organization_id IS NOT NEW.organization_id OR OLD.customer_id IS NOT NEW.customer_id
    OR OLD.timestamp IS NOT NEW.timestamp OR OLD.channel IS NOT NEW.channel
    OR OLD.sentiment IS NOT NEW.sentiment OR OLD.sentiment_score IS NOT NEW.sentiment_score
  BEGIN
    INSERT OR IGNORE INTO interaction_rollup_dirty (organization_id, day)
      VALUES (OLD.organization_id, ${day('OLD.timestamp')}), (NEW.organization_id, ${day('NEW.timestamp')});
  END;

-- Trends split by segment use the customer's current segment: a change re-marks the customer's days.
CREATE TRIGGER customers_rollup_segment AFTER UPDATE OF segment ON customers
  WHEN OLD.segment IS NOT NEW.segment
  BEGIN
    INSERT OR IGNORE INTO interaction_rollup_dirty (organization_id, day)
      SELECT DISTINCT NEW.organization_id, ${day('ci.timestamp')}
      FROM customer_interactions ci WHERE ci.customer_id = NEW.id;
  END;

-- Existing data: every day is marked, and the refresher builds the rollup in the background.
INSERT OR IGNORE INTO interaction_rollup_dirty (organization_id, day)
  SELECT DISTINCT organization_id, ${day('timestamp')} FROM customer_interactions;
`;
