import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithOrg, event, TEST_CONFIG } from '../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../test/databases.js';
import type { PostgresStorage } from '../storage/postgres/index.js';
import type { SqliteStorage } from '../storage/sqlite/index.js';
import { createPiiCipher } from './pii.js';

describe('PII cipher (AES-256-GCM)', () => {
  const key = randomBytes(32).toString('hex');
  it('round-trips, randomises each ciphertext and names its key', () => {
    const c = createPiiCipher(key);
    const a = c.encrypt('ada@example.com');
    const b = c.encrypt('ada@example.com');
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`^enc:v1:${c.keyId}:`));
    expect(a).not.toContain('ada');
    expect(c.decrypt(a)).toBe('ada@example.com');
  });

  it('keeps decrypting old values after a rotation, and encrypts new ones with the new key', () => {
    const old = createPiiCipher(key);
    const stored = old.encryptTraits({ email: 'ada@example.com', plan: 'pro' });
    const next = createPiiCipher(randomBytes(32).toString('hex'), [key]);
    expect(next.decryptTraits(stored)).toEqual({ email: 'ada@example.com', plan: 'pro' });
    expect(next.encrypt('x')).toMatch(new RegExp(`^enc:v1:${next.keyId}:`));
    expect(next.keyId).not.toBe(old.keyId);
    // Without the old key the value stays opaque rather than failing.
    expect(createPiiCipher(randomBytes(32).toString('hex')).decrypt(stored.email as string)).toBe(
      stored.email,
    );
  });

  it('refuses a tampered ciphertext', () => {
    const c = createPiiCipher(key);
    const v = c.encrypt('secret name');
    const flipped = `${v.slice(0, -3)}${v.at(-3) === 'A' ? 'B' : 'A'}${v.slice(-2)}`;
    expect(() => c.decrypt(flipped)).toThrow();
  });
});

describe.each(DIALECTS)('customer PII at rest on %s', (dialect) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
  });
  afterAll(() => db.drop());

  it('stores identify traits email and names encrypted, in the customer and in the interaction', async () => {
    const { app, organizationId, writeKey } = await appWithOrg(db.storage);
    const e = event({
      type: 'identify',
      userId: 'pii-user',
      traits: {
        email: 'grace@example.com',
        name: 'Grace Hopper',
        firstName: 'Grace',
        plan: 'pro',
        segment: 'vip',
      },
      context: { channel: 'web', traits: { email: 'grace@example.com' } },
      properties: {},
    });
    const res = await app.request('/v1/batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batch: [e] }),
    });
    expect(res.status).toBe(200);
    const raw =
      db.dialect === 'sqlite'
        ? JSON.stringify([
            (db.storage as SqliteStorage).sqlite
              .prepare('SELECT traits FROM customers WHERE organization_id = ?')
              .all(organizationId),
            (db.storage as SqliteStorage).sqlite
              .prepare('SELECT metadata FROM customer_interactions WHERE organization_id = ?')
              .all(organizationId),
          ])
        : JSON.stringify([
            (
              await (db.storage as PostgresStorage).pool.query(
                'SELECT traits::text FROM customers WHERE organization_id = $1',
                [organizationId],
              )
            ).rows,
            (
              await (db.storage as PostgresStorage).pool.query(
                'SELECT metadata::text FROM customer_interactions WHERE organization_id = $1',
                [organizationId],
              )
            ).rows,
          ]);
    expect(raw).not.toContain('grace@example.com');
    expect(raw).not.toContain('Hopper');
    expect(raw).toContain('enc:v1:');
    expect(raw).toContain('pro'); // other traits stay queryable
    const customer = await db.storage.getCustomerByExternalId(organizationId, 'pii-user');
    expect(customer?.segment).toBe('vip');
    const cipher = createPiiCipher(TEST_CONFIG.encryptionKey);
    expect(cipher.decryptTraits(customer!.traits)).toMatchObject({
      email: 'grace@example.com',
      name: 'Grace Hopper',
      firstName: 'Grace',
      plan: 'pro',
    });
  });
});
