import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsApp, api } from '../../../test/accounts.js';
import { userWithToken } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';
import type { PostgresStorage } from '../../storage/postgres/index.js';
import type { SqliteStorage } from '../../storage/sqlite/index.js';

describe.each(DIALECTS)('users admin and audit log on %s', (dialect) => {
  let db: TestDatabase;
  let t: Awaited<ReturnType<typeof accountsApp>>;
  let other: Awaited<ReturnType<typeof accountsApp>>;
  let admin: Awaited<ReturnType<typeof userWithToken>>;
  let c: ReturnType<typeof api>;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    t = await accountsApp(db.storage);
    other = await accountsApp(db.storage, {}, 'Other');
    admin = await userWithToken(db.storage, t.organizationId, 'admin');
    c = api(t.app);
  });
  afterAll(() => db.drop());

  it('creates a user (password generated and shown once when none is given) who can then log in', async () => {
    const res = await c.post(
      '/api/users',
      { email: 'new.analyst@example.com', role: 'analyst' },
      admin.token,
    );
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; role: string; temporaryPassword: string };
    expect(body).toMatchObject({ role: 'analyst', isActive: true, organizationId: t.organizationId });
    const login = await api(t.app, '198.18.0.1').login('new.analyst@example.com', body.temporaryPassword);
    expect(login.status).toBe(200);
    const list = (await (await c.get('/api/users', admin.token)).json()) as { data: Array<{ id: string }> };
    expect(list.data.map((u) => u.id)).toContain(body.id);
    expect(JSON.stringify(list)).not.toContain(body.temporaryPassword);
  });

  it('enforces the password policy and unique emails', async () => {
    const weak = await c.post(
      '/api/users',
      { email: 'w@example.com', role: 'viewer', password: 'short1!A' },
      admin.token,
    );
    expect(weak.status).toBe(400);
    expect(await weak.json()).toMatchObject({ details: [{ field: 'password' }] });
    const ok = await c.post(
      '/api/users',
      { email: 'dup@example.com', role: 'viewer', password: 'Good-Password-1' },
      admin.token,
    );
    expect(ok.status).toBe(201);
    const dup = await c.post(
      '/api/users',
      { email: 'DUP@example.com', role: 'viewer', password: 'Good-Password-1' },
      admin.token,
    );
    expect(dup.status).toBe(409);
  });

  it('changes roles and deactivates, but not the caller itself', async () => {
    const u = await userWithToken(db.storage, t.organizationId, 'viewer');
    const promote = await c.patch(`/api/users/${u.user.id}`, { role: 'analyst' }, admin.token);
    expect(await promote.json()).toMatchObject({ role: 'analyst' });
    const off = await c.patch(`/api/users/${u.user.id}`, { isActive: false }, admin.token);
    expect(await off.json()).toMatchObject({ isActive: false });
    expect((await c.patch(`/api/users/${admin.user.id}`, { isActive: false }, admin.token)).status).toBe(409);
    expect((await c.patch(`/api/users/${admin.user.id}`, { role: 'viewer' }, admin.token)).status).toBe(409);
  });

  it('answers 404 for users of another organization, and never lists them', async () => {
    const foreign = await userWithToken(db.storage, other.organizationId, 'viewer');
    expect((await c.get(`/api/users/${foreign.user.id}`, admin.token)).status).toBe(404);
    expect((await c.patch(`/api/users/${foreign.user.id}`, { role: 'admin' }, admin.token)).status).toBe(404);
    expect((await c.get('/api/users/not-a-uuid', admin.token)).status).toBe(404);
    const list = await (await c.get('/api/users', admin.token)).text();
    expect(list).not.toContain(foreign.user.id);
    expect((await db.storage.users.findById(other.organizationId, foreign.user.id))?.role).toBe('viewer');
  });

  it('refuses users admin to analysts and viewers with 403', async () => {
    for (const role of ['analyst', 'viewer'] as const) {
      const u = await userWithToken(db.storage, t.organizationId, role);
      const res = await c.get('/api/users', u.token);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: string }).error).toContain('admin');
      expect((await c.post('/api/users', { email: `x-${role}@e.com`, role: 'admin' }, u.token)).status).toBe(
        403,
      );
    }
  });

  it('records admin actions in the audit log, readable by admins of the organization only', async () => {
    const u = await userWithToken(db.storage, t.organizationId, 'viewer');
    await c.patch(`/api/users/${u.user.id}`, { role: 'analyst' }, admin.token);
    const res = await c.get('/api/audit-log?limit=50', admin.token);
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as {
      data: Array<{
        action: string;
        userId: string;
        resourceId: string;
        ip: string;
        details: unknown;
        createdAt: string;
      }>;
    };
    expect(data[0]).toMatchObject({
      action: 'user.role_changed',
      userId: admin.user.id,
      resourceId: u.user.id,
      ip: '203.0.113.7',
      details: { role: 'analyst', previousRole: 'viewer' },
    });
    expect(data.map((e) => e.action)).toEqual(expect.arrayContaining(['user.created', 'user.deactivated']));
    // Paging with `before`.
    const older = (await (
      await c.get(`/api/audit-log?limit=1&before=${encodeURIComponent(data[0]!.createdAt)}`, admin.token)
    ).json()) as { data: unknown[] };
    expect(older.data).toHaveLength(1);
    // Another organization's admin sees none of it.
    const otherAdmin = await userWithToken(db.storage, other.organizationId, 'admin');
    const theirs = (await (await api(other.app).get('/api/audit-log', otherAdmin.token)).json()) as {
      data: unknown[];
    };
    expect(theirs.data).toEqual([]);
    const analyst = await userWithToken(db.storage, t.organizationId, 'analyst');
    expect((await c.get('/api/audit-log', analyst.token)).status).toBe(403);
  });

  it('keeps the audit log append-only in the database', async () => {
    const attempt = async (sql: string) => {
      if (db.dialect === 'sqlite') (db.storage as SqliteStorage).sqlite.prepare(sql).run();
      else await (db.storage as PostgresStorage).pool.query(sql);
    };
    await expect(attempt("UPDATE audit_log SET action = 'nothing'")).rejects.toThrow(/append-only/);
    await expect(attempt('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });
});
