/**
 * Live stream and widgets: embed tokens (stored as SHA-256 hashes; read-only, one organization,
 * chosen widgets, allowed origins, expiry, revocable) and one event counter per organization, shared
 * by every collector instance (stream ids stay increasing whichever instance a client reconnects to).
 */
export default /* sql */ `
CREATE TABLE embed_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) > 0),
  token_hash text NOT NULL UNIQUE,
  token_prefix text NOT NULL,
  widgets text[] NOT NULL,
  allowed_origins text[] NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  created_by uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX embed_tokens_org_created_idx ON embed_tokens (organization_id, created_at DESC);
CREATE TRIGGER embed_tokens_touch BEFORE UPDATE ON embed_tokens FOR EACH ROW EXECUTE FUNCTION heed_touch_updated_at();

CREATE TABLE stream_counters (
  organization_id uuid PRIMARY KEY,
  last_id bigint NOT NULL CHECK (last_id > 0)
);
`;
