import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyKind } from './storage/types.js';

const PREFIX: Record<ApiKeyKind, string> = { write: 'hk_w_', secret: 'hk_s_' };

/** A new API key: the secret (shown once), its SHA-256 hash (stored) and a display prefix. */
export function generateApiKey(kind: ApiKeyKind): { key: string; hash: string; prefix: string } {
  const key = PREFIX[kind] + randomBytes(24).toString('base64url');
  return { key, hash: hashApiKey(key), prefix: key.slice(0, 12) };
}

/** Keys are long random strings, so a fast hash is enough (no password stretching needed). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
