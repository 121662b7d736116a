/**
 * Initial schema (SQLite). Times are INTEGER epoch milliseconds, JSON is TEXT checked with json_valid,
 * UUIDs are TEXT. created_at/updated_at are kept by defaults and triggers.
 */
const NOW = `(CAST(unixepoch('subsec') * 1000 AS INTEGER))`;
const UUID = `(lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))))`;

const touch = (table: string) => `
CREATE TRIGGER ${table}_touch AFTER UPDATE ON ${table}
  FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
  BEGIN UPDATE ${table} SET updated_at = ${NOW} WHERE id = NEW.id; END;`;

export default /* sql */ `
CREATE TABLE organizations (
  id TEXT PRIMARY KEY NOT NULL DEFAULT ${UUID},
  name TEXT NOT NULL,
  slug TEXT NOT NULL UNIQUE,
  settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
  created_at INTEGER NOT NULL DEFAULT ${NOW},
  updated_at INTEGER NOT NULL DEFAULT ${NOW}
);

CREATE TABLE users (
  id TEXT PRIMARY KEY NOT NULL DEFAULT ${UUID},
  organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  name TEXT,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
  is_active INTEGER NOT NULL DEFAULT 1,
  last_login_at INTEGER,
  password_changed_at INTEGER,
  created_at INTEGER NOT NULL DEFAULT ${NOW},
  updated_at INTEGER NOT NULL DEFAULT ${NOW}
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_organization_id_idx ON users (organization_id);

CREATE TABLE refresh_tokens (
  id TEXT PRIMARY KEY NOT NULL DEFAULT ${UUID},
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  family_id TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  replaced_by TEXT,
  created_ip TEXT,
  created_at INTEGER NOT NULL DEFAULT ${NOW},
  updated_at INTEGER NOT NULL DEFAULT ${NOW}
);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY NOT NULL DEFAULT ${UUID},
  organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('write', 'secret')),
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  key_prefix TEXT NOT NULL,
  allowed_origins TEXT CHECK (allowed_origins IS NULL OR json_valid(allowed_origins)),
  created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
  last_used_at INTEGER,
  revoked_at INTEGER,
  created_at INTEGER NOT NULL DEFAULT ${NOW},
  updated_at INTEGER NOT NULL DEFAULT ${NOW}
);
CREATE INDEX api_keys_organization_id_idx ON api_keys (organization_id);
CREATE INDEX api_keys_created_by_idx ON api_keys (created_by);

CREATE TABLE customers (
  id TEXT PRIMARY KEY NOT NULL DEFAULT ${UUID},
  organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  external_id TEXT NOT NULL,
  segment TEXT,
  traits TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(traits)),
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  interaction_count INTEGER NOT NULL DEFAULT 0 CHECK (interaction_count >= 0),
  average_sentiment REAL CHECK (average_sentiment BETWEEN -1 AND 1),
  sentiment_count INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL DEFAULT ${NOW},
  updated_at INTEGER NOT NULL DEFAULT ${NOW},
  UNIQUE (organization_id, external_id)
);
CREATE INDEX customers_org_segment_idx ON customers (organization_id, segment);

CREATE TABLE customer_interactions (
  id TEXT PRIMARY KEY NOT NULL DEFAULT ${UUID},
  organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  message_id TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  received_at INTEGER NOT NULL DEFAULT ${NOW},
  channel TEXT NOT NULL CHECK (channel IN ('web', 'mobile', 'email', 'chat', 'phone')),
  event_type TEXT NOT NULL CHECK (length(event_type) > 0),
  content TEXT,
  sentiment TEXT CHECK (sentiment IS NULL OR json_valid(sentiment)),
  sentiment_confidence REAL CHECK (sentiment_confidence BETWEEN 0 AND 1),
  metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  processed_at INTEGER,
  analysis_attempts INTEGER NOT NULL DEFAULT 0,
  analysis_error TEXT,
  created_at INTEGER NOT NULL DEFAULT ${NOW},
  updated_at INTEGER NOT NULL DEFAULT ${NOW},
  UNIQUE (organization_id, message_id)
);
CREATE INDEX interactions_org_timestamp_idx ON customer_interactions (organization_id, timestamp DESC);
CREATE INDEX interactions_customer_id_idx ON customer_interactions (customer_id, timestamp DESC);
CREATE INDEX interactions_org_channel_timestamp_idx ON customer_interactions (organization_id, channel, timestamp DESC);
CREATE INDEX interactions_device_type_idx ON customer_interactions (organization_id, json_extract(metadata, '$.device.type'));
CREATE INDEX interactions_geo_country_idx ON customer_interactions (organization_id, json_extract(metadata, '$.geo.country'));
CREATE INDEX interactions_unprocessed_idx ON customer_interactions (received_at)
  WHERE processed_at IS NULL AND content IS NOT NULL;

CREATE VIRTUAL TABLE customer_interactions_fts USING fts5(
  content, content='customer_interactions', content_rowid='rowid', tokenize='porter unicode61'
);
CREATE TRIGGER customer_interactions_fts_insert AFTER INSERT ON customer_interactions
  WHEN NEW.content IS NOT NULL
  BEGIN INSERT INTO customer_interactions_fts(rowid, content) VALUES (NEW.rowid, NEW.content); END;
CREATE TRIGGER customer_interactions_fts_delete AFTER DELETE ON customer_interactions
  WHEN OLD.content IS NOT NULL
  BEGIN INSERT INTO customer_interactions_fts(customer_interactions_fts, rowid, content) VALUES ('delete', OLD.rowid, OLD.content); END;
CREATE TRIGGER customer_interactions_fts_update AFTER UPDATE OF content ON customer_interactions
  BEGIN
    INSERT INTO customer_interactions_fts(customer_interactions_fts, rowid, content)
      SELECT 'delete', OLD.rowid, OLD.content WHERE OLD.content IS NOT NULL;
    INSERT INTO customer_interactions_fts(rowid, content)
      SELECT NEW.rowid, NEW.content WHERE NEW.content IS NOT NULL;
  END;

CREATE TABLE behavior_patterns (
  id TEXT PRIMARY KEY NOT NULL DEFAULT ${UUID},
  organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  pattern_type TEXT NOT NULL,
  description TEXT NOT NULL,
  confidence REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  frequency INTEGER NOT NULL CHECK (frequency > 0),
  metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
  detected_at INTEGER NOT NULL DEFAULT ${NOW},
  created_at INTEGER NOT NULL DEFAULT ${NOW},
  updated_at INTEGER NOT NULL DEFAULT ${NOW}
);
CREATE INDEX behavior_patterns_org_customer_idx ON behavior_patterns (organization_id, customer_id);
CREATE INDEX behavior_patterns_customer_id_idx ON behavior_patterns (customer_id);

CREATE TABLE audit_log (
  id TEXT PRIMARY KEY NOT NULL DEFAULT ${UUID},
  organization_id TEXT REFERENCES organizations(id) ON DELETE SET NULL,
  user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
  action TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id TEXT,
  ip TEXT,
  details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
  created_at INTEGER NOT NULL DEFAULT ${NOW}
);
CREATE INDEX audit_log_org_created_idx ON audit_log (organization_id, created_at DESC);
CREATE INDEX audit_log_user_id_idx ON audit_log (user_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
${['organizations', 'users', 'refresh_tokens', 'api_keys', 'customers', 'customer_interactions', 'behavior_patterns'].map(touch).join('\n')}
`;
