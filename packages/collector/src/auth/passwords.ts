import bcrypt from 'bcryptjs';

export const BCRYPT_COST = 10;
export const MIN_PASSWORD_LENGTH = 12;

/** The password policy: null when acceptable, else what is missing. */
export function passwordProblem(password: string): string | null {
  const missing: string[] = [];
  if (password.length < MIN_PASSWORD_LENGTH) missing.push(`at least ${MIN_PASSWORD_LENGTH} characters`);
  if (!/[a-z]/.test(password)) missing.push('a lower-case letter');
  if (!/[A-Z]/.test(password)) missing.push('an upper-case letter');
  if (!/[0-9]/.test(password)) missing.push('a digit');
  if (!/[^A-Za-z0-9]/.test(password)) missing.push('a symbol');
  if (password.length > 72) return 'must be at most 72 characters (bcrypt ignores the rest)';
  return missing.length === 0 ? null : `must contain ${missing.join(', ')}`;
}

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

let dummy: Promise<string> | undefined;

/**
 * Compares a password with a bcrypt hash (bcrypt's comparison is constant-time). Without a hash (the
 * email is unknown) it still runs one comparison against a dummy hash, so both cases take as long.
 */
export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  if (hash === undefined) {
    dummy ??= bcrypt.hash('dummy-password-never-matches', BCRYPT_COST);
    await bcrypt.compare(password, await dummy);
    return false;
  }
  // A malformed stored hash is a failed login, not a server error.
  return bcrypt.compare(password, hash).catch(() => false);
}
