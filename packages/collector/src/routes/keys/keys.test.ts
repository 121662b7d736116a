import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsApp, api } from '../../../test/accounts.js';
import { event, userWithToken } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';
import { hashApiKey } from '../../keys.js';

interface KeyAnswer {
  id: string;
  kind: string;
  key?: string;
  prefix: string;
  allowedOrigins: string[] | null;
  revokedAt: string | null;
}

describe.each(DIALECTS)('API keys on %s', (dialect) => {
  let db: TestDatabase;
  let t: Awaited<ReturnType<typeof accountsApp>>;
  let other: Awaited<ReturnType<typeof accountsApp>>;
  let admin: Awaited<ReturnType<typeof userWithToken>>;
  let c: ReturnType<typeof api>;
  const send = (key: string, headers: Record<string, string> = {}) =>
    t.app.request('/v1/batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ batch: [event()] }),
    });

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    t = await accountsApp(db.storage);
    other = await accountsApp(db.storage, {}, 'Other');
    admin = await userWithToken(db.storage, t.organizationId, 'admin');
    c = api(t.app);
  });
  afterAll(() => db.drop());

  it('shows a new key once, stores only its hash, and the key ingests', async () => {
    const res = await c.post('/api/keys', { kind: 'write', name: 'web' }, admin.token);
    expect(res.status).toBe(201);
    const created = (await res.json()) as KeyAnswer;
    expect(created.key).toMatch(/^hk_w_/);
    expect(created.key?.startsWith(created.prefix)).toBe(true);
    const found = await db.storage.findApiKeyByHash(hashApiKey(created.key!));
    expect(found?.id).toBe(created.id);
    const list = await (await c.get('/api/keys', admin.token)).text();
    expect(list).toContain(created.id);
    expect(list).not.toContain(created.key);
    expect((await send(created.key!)).status).toBe(200);
  });

  it('creates secret keys, which take no allowed origins', async () => {
    const ok = (await (
      await c.post('/api/keys', { kind: 'secret', name: 'server' }, admin.token)
    ).json()) as KeyAnswer;
    expect(ok.key).toMatch(/^hk_s_/);
    const bad = await c.post(
      '/api/keys',
      { kind: 'secret', name: 's', allowedOrigins: ['https://a.example'] },
      admin.token,
    );
    expect(bad.status).toBe(400);
  });

  it('enforces a write key’s allowed origins', async () => {
    const k = (await (
      await c.post(
        '/api/keys',
        { kind: 'write', name: 'site', allowedOrigins: ['https://shop.example.com'] },
        admin.token,
      )
    ).json()) as KeyAnswer;
    expect(k.allowedOrigins).toEqual(['https://shop.example.com']);
    expect((await send(k.key!, { origin: 'https://shop.example.com' })).status).toBe(200);
    expect((await send(k.key!, { origin: 'https://evil.example.net' })).status).toBe(403);
    const badOrigin = await c.post(
      '/api/keys',
      { kind: 'write', name: 'x', allowedOrigins: ['https://shop.example.com/path'] },
      admin.token,
    );
    expect(badOrigin.status).toBe(400);
  });

  it('revocation takes effect at once, even for a key the collector has cached', async () => {
    const k = (await (
      await c.post('/api/keys', { kind: 'write', name: 'temp' }, admin.token)
    ).json()) as KeyAnswer;
    expect((await send(k.key!)).status).toBe(200); // now cached by the resolver
    const revoked = await c.del(`/api/keys/${k.id}`, admin.token);
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as KeyAnswer).revokedAt).not.toBeNull();
    expect((await send(k.key!)).status).toBe(401);
    const audit = (await (await c.get('/api/audit-log', admin.token)).json()) as {
      data: Array<{ action: string; resourceId: string }>;
    };
    expect(audit.data.find((e) => e.resourceId === k.id)?.action).toBe('key.revoked');
    expect(audit.data.some((e) => e.action === 'key.created' && e.resourceId === k.id)).toBe(true);
  });

  it("answers 404 for another organization's key and leaves it working", async () => {
    const otherAdmin = await userWithToken(db.storage, other.organizationId, 'admin');
    const theirs = (await (
      await api(other.app).post('/api/keys', { kind: 'write', name: 'theirs' }, otherAdmin.token)
    ).json()) as KeyAnswer;
    expect((await c.del(`/api/keys/${theirs.id}`, admin.token)).status).toBe(404);
    expect((await c.del('/api/keys/nope', admin.token)).status).toBe(404);
    expect(await (await c.get('/api/keys', admin.token)).text()).not.toContain(theirs.id);
    expect((await db.storage.findApiKeyByHash(hashApiKey(theirs.key!)))?.revokedAt).toBeNull();
  });

  it('is for admins only', async () => {
    for (const role of ['analyst', 'viewer'] as const) {
      const u = await userWithToken(db.storage, t.organizationId, role);
      expect((await c.get('/api/keys', u.token)).status).toBe(403);
      expect((await c.post('/api/keys', { kind: 'write', name: 'n' }, u.token)).status).toBe(403);
    }
  });

  it('lets a secret key call the admin API as its organization, audited as the key; a write key may not', async () => {
    const secret = (await (
      await c.post('/api/keys', { kind: 'secret', name: 'ops' }, admin.token)
    ).json()) as KeyAnswer;
    const write = (await (
      await c.post('/api/keys', { kind: 'write', name: 'w2' }, admin.token)
    ).json()) as KeyAnswer;
    const users = await c.get('/api/users', secret.key);
    expect(users.status).toBe(200);
    expect(await users.text()).toContain(admin.user.id);
    expect((await c.get('/api/users', write.key)).status).toBe(401);
    const created = await c.post('/api/keys', { kind: 'write', name: 'by-key' }, secret.key);
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as KeyAnswer;
    const audit = (await (await c.get('/api/audit-log', admin.token)).json()) as {
      data: Array<{ resourceId: string; userId: string | null; details: Record<string, unknown> }>;
    };
    expect(audit.data.find((e) => e.resourceId === id)).toMatchObject({
      userId: null,
      details: { apiKeyId: secret.id },
    });
    // The other organization's data stays out of reach, and revocation is immediate.
    expect(await (await c.get('/api/keys', secret.key)).text()).not.toContain('theirs');
    expect((await c.del(`/api/keys/${secret.id}`, admin.token)).status).toBe(200);
    expect((await c.get('/api/users', secret.key)).status).toBe(401);
  });
});
