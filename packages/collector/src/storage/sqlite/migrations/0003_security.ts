/**
 * Accounts and access control: a per-user revocation point for access tokens (logout, password change,
 * deactivation) and lookups used by refresh-token rotation and the audit log.
 */
export default /* sql */ `
ALTER TABLE users ADD COLUMN tokens_valid_after INTEGER;
CREATE INDEX refresh_tokens_user_active_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;
`;
