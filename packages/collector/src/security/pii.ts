import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { JsonObject, JsonValue } from '@heed/protocol';
import { isPlainObject } from '@heed/protocol';

/** Trait names holding personal data: encrypted before they reach the database. */
export const PII_FIELDS: readonly string[] = [
  'email',
  'name',
  'firstName',
  'lastName',
  'first_name',
  'last_name',
  'phone',
];

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for customer PII. A ciphertext is `enc:v1:<keyId>:<base64url(iv | ciphertext | tag)>`:
 * the key id (first 8 hex characters of the key's SHA-256) lets older keys keep decrypting after a
 * rotation, while new values always use the current key.
 */
export interface PiiCipher {
  readonly keyId: string;
  encrypt(plain: string): string;
  /** The plaintext, or the value unchanged when it is not a ciphertext or its key is unknown. */
  decrypt(value: string): string;
  /** A copy of the traits with PII_FIELDS encrypted (other traits unchanged). */
  encryptTraits(traits: JsonObject): JsonObject;
  decryptTraits(traits: JsonObject): JsonObject;
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** `currentHex` encrypts and decrypts; `previousHex` keys (after a rotation) only decrypt. */
export function createPiiCipher(currentHex: string, previousHex: readonly string[] = []): PiiCipher {
  const current = Buffer.from(currentHex, 'hex');
  if (current.length !== 32) throw new Error('ENCRYPTION_KEY must be 32 bytes (64 hex characters)');
  const keys = new Map<string, Buffer>();
  for (const hex of [currentHex, ...previousHex]) {
    const k = Buffer.from(hex, 'hex');
    keys.set(keyIdOf(k), k);
  }
  const keyId = keyIdOf(current);

  const encrypt = (plain: string): string => {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', current, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${PREFIX}${keyId}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  };
  const decrypt = (value: string): string => {
    if (!value.startsWith(PREFIX)) return value;
    const [kid, data] = value.slice(PREFIX.length).split(':', 2);
    const key = kid ? keys.get(kid) : undefined;
    if (!key || !data) return value;
    const raw = Buffer.from(data, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  };
  const mapTraits = (traits: JsonObject, fn: (v: string) => string): JsonObject => {
    const out: JsonObject = { ...traits };
    for (const f of PII_FIELDS) {
      const v = out[f];
      if (typeof v === 'string' && v !== '') out[f] = fn(v);
    }
    return out;
  };
  return {
    keyId,
    encrypt,
    decrypt,
    encryptTraits: (t) => mapTraits(t, (v) => (v.startsWith(PREFIX) ? v : encrypt(v))),
    decryptTraits: (t) => mapTraits(t, decrypt),
  };
}

/**
 * Encrypts the PII in an interaction's metadata: `traits` and `context.traits` (identify calls and
 * Segment's context.traits). Returns a new object; the input is not changed.
 */
export function encryptMetadata(cipher: PiiCipher, metadata: JsonObject): JsonObject {
  const out: JsonObject = { ...metadata };
  if (isPlainObject(out.traits)) out.traits = cipher.encryptTraits(out.traits);
  const ctx = out.context;
  if (isPlainObject(ctx) && isPlainObject(ctx.traits)) {
    out.context = { ...ctx, traits: cipher.encryptTraits(ctx.traits) as JsonValue };
  }
  return out;
}

export function decryptMetadata(cipher: PiiCipher, metadata: JsonObject): JsonObject {
  const out: JsonObject = { ...metadata };
  if (isPlainObject(out.traits)) out.traits = cipher.decryptTraits(out.traits);
  const ctx = out.context;
  if (isPlainObject(ctx) && isPlainObject(ctx.traits)) {
    out.context = { ...ctx, traits: cipher.decryptTraits(ctx.traits) as JsonValue };
  }
  return out;
}
