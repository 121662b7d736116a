import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event } from '../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../test/databases.js';
import { secretKey, signAccessToken } from '../auth/tokens.js';
import { generateApiKey } from '../keys.js';
import type { Role } from '../storage/types.js';
import { startCollector, type TestCollector } from '../testing.js';

describe.each(DIALECTS)('revocations reach every instance through Redis (%s)', (dialect) => {
  let db: TestDatabase;
  let a: TestCollector;
  let b: TestCollector;
  let org: string;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    const env = {
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `heed-test:${process.pid}:${Math.random().toString(36).slice(2)}:`,
      ANALYSIS: 'off',
    };
    const databaseUrl = db.databaseUrl ?? db.sqlitePath;
    a = await startCollector({ databaseUrl, env });
    b = await startCollector({ databaseUrl, env });
    org = await db.storage.createOrganization('Shared', `shared-${Math.random()}`);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db.drop();
  });

  const user = async (role: Role) => {
    const u = await db.storage.users.create({
      organizationId: org,
      email: `${role}-${Math.random()}@example.com`,
      passwordHash: 'x',
      role,
    });
    const token = await signAccessToken(secretKey('test-secret-test-secret-test-secret-0000'), {
      userId: u.id,
      organizationId: org,
      role,
    });
    return { id: u.id, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } };
  };

  it('a key revoked on one instance is refused at once by the other, which had it cached', async () => {
    const admin = await user('admin');
    const k = generateApiKey('write');
    const id = await db.storage.createApiKey({
      organizationId: org,
      kind: 'write',
      name: 'k',
      keyHash: k.hash,
      keyPrefix: k.prefix,
    });
    const send = () =>
      fetch(`${b.url}/v1/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ batch: [event()] }),
      }).then((r) => r.status);
    expect(await send()).toBe(200);
    const revoke = await fetch(`${a.url}/api/keys/${id}`, { method: 'DELETE', headers: admin.headers });
    expect(revoke.status).toBe(200);
    expect(await send()).toBe(401);
  });

  it('a user deactivated on one instance is refused at once by the other', async () => {
    const admin = await user('admin');
    const viewer = await user('viewer');
    const me = () => fetch(`${b.url}/api/auth/me`, { headers: viewer.headers }).then((r) => r.status);
    expect(await me()).toBe(200);
    const off = await fetch(`${a.url}/api/users/${viewer.id}`, {
      method: 'PATCH',
      headers: admin.headers,
      body: JSON.stringify({ isActive: false }),
    });
    expect(off.status).toBe(200);
    expect(await me()).toBe(401);
  });
});
