import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../test/databases.js';
import { hashApiKey } from '../keys.js';
import { PostgresStorage, SqliteStorage } from './index.js';
import type { InteractionInput } from './types.js';

const t0 = new Date('2026-11-01T10:00:00Z');
let seq = 0;
function row(over: Partial<InteractionInput> = {}): InteractionInput {
  seq++;
  return {
    id: crypto.randomUUID(),
    messageId: `m-${seq}`,
    externalId: 'cust-1',
    timestamp: new Date(t0.getTime() + seq * 1000),
    receivedAt: new Date(),
    channel: 'chat',
    eventType: 'Chat Message',
    content: `hello ${seq}`,
    metadata: { properties: { plan: 'pro' } },
    segment: null,
    traits: null,
    ...over,
  };
}

describe.each(DIALECTS)('storage on %s', (dialect) => {
  let db: TestDatabase;
  let org: string;
  let otherOrg: string;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
    org = await db.storage.createOrganization('Acme', 'acme');
    otherOrg = await db.storage.createOrganization('Other', 'other');
  });
  afterAll(() => db.drop());

  it('migrations are idempotent', async () => {
    expect(await db.storage.migrate()).toEqual([]);
  });

  it('stores interactions and upserts the customer with its counters', async () => {
    const rows = [row({ externalId: 'alice' }), row({ externalId: 'alice' }), row({ externalId: 'bob' })];
    const out = await db.storage.ingest(org, rows);
    expect(out.inserted).toHaveLength(3);
    expect(out.duplicates).toEqual([]);
    const alice = await db.storage.getCustomerByExternalId(org, 'alice');
    expect(alice?.interactionCount).toBe(2);
    expect(alice?.firstSeenAt.getTime()).toBe(rows[0]!.timestamp.getTime());
    expect(alice?.lastSeenAt.getTime()).toBe(rows[1]!.timestamp.getTime());
    const list = await db.storage.listInteractions({ organizationId: org, customerId: alice!.id });
    expect(list.map((i) => i.content)).toEqual([rows[1]!.content, rows[0]!.content]);
    expect(list[0]?.metadata).toEqual({ properties: { plan: 'pro' } });
  });

  it('stores each messageId once, even when sent again or repeated in one call', async () => {
    const r = row({ externalId: 'carol' });
    const first = await db.storage.ingest(org, [r, { ...r, id: crypto.randomUUID() }]);
    expect(first.inserted).toEqual([r.messageId]);
    expect(first.duplicates).toEqual([r.messageId]);
    const again = await db.storage.ingest(org, [{ ...r, id: crypto.randomUUID() }]);
    expect(again.inserted).toEqual([]);
    expect(again.duplicates).toEqual([r.messageId]);
    const carol = await db.storage.getCustomerByExternalId(org, 'carol');
    expect(carol?.interactionCount).toBe(1);
  });

  it('scopes messageIds and customers by organization', async () => {
    const r = row({ externalId: 'dave', messageId: 'shared-id' });
    expect((await db.storage.ingest(org, [r])).inserted).toHaveLength(1);
    expect((await db.storage.ingest(otherOrg, [{ ...r, id: crypto.randomUUID() }])).inserted).toHaveLength(1);
    const mine = await db.storage.getCustomerByExternalId(org, 'dave');
    const theirs = await db.storage.getCustomerByExternalId(otherOrg, 'dave');
    expect(mine?.id).not.toBe(theirs?.id);
    expect(await db.storage.getCustomerByExternalId(otherOrg, 'alice')).toBeNull();
  });

  it('handles batches larger than one transaction chunk', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => row({ externalId: `bulk-${i % 7}` }));
    const out = await db.storage.ingest(org, rows);
    expect(out.inserted).toHaveLength(250);
    const c = await db.storage.getCustomerByExternalId(org, 'bulk-0');
    expect(c?.interactionCount).toBe(36);
  });

  it('merges identify traits and keeps the latest segment', async () => {
    await db.storage.ingest(org, [
      row({ externalId: 'erin', traits: { plan: 'free', name: 'Erin' }, segment: 'trial' }),
      row({ externalId: 'erin', traits: { plan: 'pro' }, segment: 'enterprise' }),
    ]);
    await db.storage.ingest(org, [row({ externalId: 'erin' })]);
    const erin = await db.storage.getCustomerByExternalId(org, 'erin');
    expect(erin?.traits).toEqual({ plan: 'pro', name: 'Erin' });
    expect(erin?.segment).toBe('enterprise');
    expect(erin?.interactionCount).toBe(3);
  });

  it('concurrent ingests of the same events store them once', async () => {
    const rows = Array.from({ length: 40 }, () => row({ externalId: 'frank' }));
    const results = await Promise.all([db.storage.ingest(org, rows), db.storage.ingest(org, rows)]);
    const inserted = results.flatMap((r) => r.inserted);
    expect(inserted.sort()).toEqual(rows.map((r) => r.messageId).sort());
    expect((await db.storage.getCustomerByExternalId(org, 'frank'))?.interactionCount).toBe(40);
  });

  it('keeps a customer whose id was not derived from its external id (created by an import or older version)', async () => {
    const legacyId = crypto.randomUUID();
    const now = Date.now();
    if (db.storage instanceof PostgresStorage) {
      await db.storage.pool.query(
        `INSERT INTO customers (id, organization_id, external_id, first_seen_at, last_seen_at) VALUES ($1, $2, 'legacy', now(), now())`,
        [legacyId, org],
      );
    } else if (db.storage instanceof SqliteStorage) {
      db.storage.sqlite
        .prepare(
          `INSERT INTO customers (id, organization_id, external_id, first_seen_at, last_seen_at) VALUES (?, ?, 'legacy', ?, ?)`,
        )
        .run(legacyId, org, now, now);
    }
    const out = await db.storage.ingest(org, [row({ externalId: 'legacy' }), row({ externalId: 'legacy' })]);
    expect(out.inserted).toHaveLength(2);
    const legacy = await db.storage.getCustomerByExternalId(org, 'legacy');
    expect(legacy?.id).toBe(legacyId);
    expect(legacy?.interactionCount).toBe(2);
    const list = await db.storage.listInteractions({ organizationId: org, customerId: legacyId });
    expect(list).toHaveLength(2);
  });

  it('finds API keys by hash only', async () => {
    await db.storage.createApiKey({
      organizationId: org,
      kind: 'write',
      name: 'k',
      keyHash: hashApiKey('hk_w_secret'),
      keyPrefix: 'hk_w_secr',
    });
    expect((await db.storage.findApiKeyByHash(hashApiKey('hk_w_secret')))?.organizationId).toBe(org);
    expect(await db.storage.findApiKeyByHash(hashApiKey('hk_w_other'))).toBeNull();
  });

  it('bootstraps the demo organization once', async () => {
    const fresh = await freshDatabase(dialect);
    try {
      const input = {
        organizationName: 'Demo',
        adminEmail: 'admin@heed.local',
        adminPasswordHash: 'x',
        writeKeyHash: hashApiKey('k1'),
        writeKeyPrefix: 'k1',
      };
      const [a, b] = await Promise.all([fresh.storage.bootstrap(input), fresh.storage.bootstrap(input)]);
      expect([a, b].filter(Boolean)).toHaveLength(1);
      expect(await fresh.storage.bootstrap(input)).toBeNull();
    } finally {
      await fresh.drop();
    }
  });
});
