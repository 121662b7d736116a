/**
 * Live stream and widgets: embed tokens (stored as SHA-256 hashes; read-only, one organization,
 * chosen widgets, allowed origins, expiry, revocable). SQLite is one instance: no shared counters.
 */
const NOW = `(CAST(unixepoch('subsec') * 1000 AS INTEGER))`;
const UUID = `(lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))))`;

export default /* sql */ `
CREATE TABLE embed_tokens (
  id TEXT PRIMARY KEY NOT NULL DEFAULT ${UUID},
  organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name TEXT NOT NULL CHECK (length(name) > 0),
  token_hash TEXT NOT NULL UNIQUE,
  token_prefix TEXT NOT NULL,
  widgets TEXT NOT NULL CHECK (json_valid(widgets)),
  allowed_origins TEXT NOT NULL CHECK (json_valid(allowed_origins)),
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL DEFAULT ${NOW},
  updated_at INTEGER NOT NULL DEFAULT ${NOW}
);
CREATE INDEX embed_tokens_org_created_idx ON embed_tokens (organization_id, created_at DESC);
CREATE TRIGGER embed_tokens_touch AFTER UPDATE ON embed_tokens
  FOR EACH ROW WHEN NEW.updated_at = OLD.updated_at
  BEGIN UPDATE embed_tokens SET updated_at = ${NOW} WHERE id = NEW.id; END;
`;
