import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { generateApiKey } from './keys.js';
import type { Storage } from './storage/types.js';

export interface DemoCredentials {
  organizationId: string;
  adminEmail: string;
  adminPassword: string;
  writeKey: string;
}

export const DEMO_ADMIN_EMAIL = 'admin@heed.local';

/** A password that meets the password policy: upper, lower, digit, symbol, 20 characters. */
export function generatePassword(): string {
  return `Hd-${randomBytes(12).toString('base64url')}9a!`;
}

/**
 * On an empty database: creates the demo organization, an admin user and a write key, and returns
 * their secrets (to print once). On any later start: null, and nothing is created.
 */
export async function bootstrapDemo(storage: Storage): Promise<DemoCredentials | null> {
  const adminPassword = generatePassword();
  const key = generateApiKey('write');
  const created = await storage.bootstrap({
    organizationName: 'Demo',
    adminEmail: DEMO_ADMIN_EMAIL,
    adminPasswordHash: await bcrypt.hash(adminPassword, 10),
    writeKeyHash: key.hash,
    writeKeyPrefix: key.prefix,
  });
  if (!created) return null;
  return {
    organizationId: created.organizationId,
    adminEmail: DEMO_ADMIN_EMAIL,
    adminPassword,
    writeKey: key.key,
  };
}
