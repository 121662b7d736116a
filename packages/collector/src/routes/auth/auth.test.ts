import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsApp, api, PASSWORD, type Session, userWithPassword } from '../../../test/accounts.js';
import { TEST_CONFIG } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';
import { generateRefreshToken } from '../../auth/refresh.js';
import { secretKey, signAccessToken } from '../../auth/tokens.js';
import type { PostgresStorage } from '../../storage/postgres/index.js';
import type { SqliteStorage } from '../../storage/sqlite/index.js';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe.each(DIALECTS)('accounts and tokens on %s', (dialect) => {
  let db: TestDatabase;
  let t: Awaited<ReturnType<typeof accountsApp>>;
  let ipN = 0;
  /** A fresh client IP per test, so that the 5/min auth limit does not carry over. */
  const client = () => api(t.app, `198.51.100.${++ipN}`);
  const session = async (email: string): Promise<Session> => {
    const res = await client().login(email);
    expect(res.status).toBe(200);
    return (await res.json()) as Session;
  };

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    t = await accountsApp(db.storage);
  });
  afterAll(() => db.drop());

  it('logs in, answers /me and records last_login_at; the email is case-insensitive', async () => {
    const user = await userWithPassword(db.storage, t.organizationId, 'analyst');
    const s = await session(user.email.toUpperCase());
    expect(s.user).toMatchObject({ id: user.id, role: 'analyst' });
    expect(s).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600, refreshExpiresIn: 7 * 24 * 3600 });
    const me = await client().get('/api/auth/me', s.accessToken);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      id: user.id,
      email: user.email,
      organizationId: t.organizationId,
    });
    const stored = await db.storage.users.findById(t.organizationId, user.id);
    expect(stored?.lastLoginAt?.getTime()).toBeGreaterThan(Date.now() - 10_000);
  });

  it('answers the same 401 for a wrong password, an unknown email and a deactivated user, and logs each with IP and time', async () => {
    const user = await userWithPassword(db.storage, t.organizationId, 'viewer');
    const off = await userWithPassword(db.storage, t.organizationId, 'viewer');
    await db.storage.users.update(t.organizationId, off.id, { isActive: false });
    const c = client();
    const answers = [
      await c.login(user.email, 'Wrong-password-123!'),
      await c.login('nobody-here@example.com'),
      await c.login(off.email),
    ];
    const bodies = [];
    for (const r of answers) {
      expect(r.status).toBe(401);
      const { requestId: _r, ...body } = (await r.json()) as Record<string, unknown>;
      bodies.push(body);
    }
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    const failures = t.logs.filter((l) => l.msg === 'failed login' && l.ip === `198.51.100.${ipN}`);
    expect(failures).toHaveLength(3);
    expect(failures[0]?.at).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    expect(t.raw.join('')).not.toContain('Wrong-password-123!');
    expect(t.raw.join('')).not.toContain(PASSWORD);
  });

  it('refuses tampered, expired, alg=none and wrong-key access tokens', async () => {
    const user = await userWithPassword(db.storage, t.organizationId, 'viewer');
    const s = await session(user.email);
    const c = client();
    const [h, p, sig] = s.accessToken.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const tampered = `${h}.${b64({ ...payload, role: 'admin' })}.${sig}`;
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...payload, role: 'admin' })}.`;
    const key = secretKey(TEST_CONFIG.jwtSecret);
    const expired = await new SignJWT({ org: t.organizationId, role: 'viewer', ims: Date.now() - 7_200_000 })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer('heed')
      .setAudience('heed-api')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(key);
    const wrongKey = await signAccessToken(secretKey('another-secret-another-secret-0000000'), {
      userId: user.id,
      organizationId: t.organizationId,
      role: 'viewer',
    });
    expect((await c.get('/api/auth/me', s.accessToken)).status).toBe(200);
    for (const token of [tampered, none, expired, wrongKey, 'not-a-jwt']) {
      const res = await c.get('/api/auth/me', token);
      expect(res.status, token).toBe(401);
    }
    expect((await c.get('/api/auth/me')).status).toBe(401);
  });

  it('refuses the tokens of a deleted user and of a deactivated user at once', async () => {
    const admin = await userWithPassword(db.storage, t.organizationId, 'admin');
    const gone = await userWithPassword(db.storage, t.organizationId, 'viewer');
    const off = await userWithPassword(db.storage, t.organizationId, 'viewer');
    const a = await session(admin.email);
    const g = await session(gone.email);
    const o = await session(off.email);
    const c = client();
    expect((await c.get('/api/auth/me', o.accessToken)).status).toBe(200); // cached as valid now
    expect((await c.patch(`/api/users/${off.id}`, { isActive: false }, a.accessToken)).status).toBe(200);
    expect((await c.get('/api/auth/me', o.accessToken)).status).toBe(401);
    expect((await c.post('/api/auth/refresh', { refreshToken: o.refreshToken })).status).toBe(401);

    if (db.dialect === 'sqlite') {
      (db.storage as SqliteStorage).sqlite.prepare('DELETE FROM users WHERE id = ?').run(gone.id);
    } else {
      await (db.storage as PostgresStorage).pool.query('DELETE FROM users WHERE id = $1', [gone.id]);
    }
    // A deleted user was never cached by this app: its token is refused.
    expect((await c.get('/api/auth/me', g.accessToken)).status).toBe(401);
    expect((await c.post('/api/auth/refresh', { refreshToken: g.refreshToken })).status).toBe(401);
  });

  it('rotates refresh tokens; reusing a rotated one revokes the whole family', async () => {
    const user = await userWithPassword(db.storage, t.organizationId, 'analyst');
    const first = await session(user.email);
    const c = client();
    const r1 = await c.post('/api/auth/refresh', { refreshToken: first.refreshToken });
    expect(r1.status).toBe(200);
    const second = (await r1.json()) as Session;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await c.get('/api/auth/me', second.accessToken)).status).toBe(200);

    // The first token was rotated: using it again is a reuse (stolen token) ...
    const reuse = await client().post('/api/auth/refresh', { refreshToken: first.refreshToken });
    expect(reuse.status).toBe(401);
    expect(
      t.logs.some((l) => l.msg === 'refresh token reused: session revoked' && l.userId === user.id),
    ).toBe(true);
    // ... which revokes the family: the legitimate newer token stops working too.
    expect((await client().post('/api/auth/refresh', { refreshToken: second.refreshToken })).status).toBe(
      401,
    );
    // Another session of the same user (another family) is untouched.
    const other = await session(user.email);
    expect((await client().post('/api/auth/refresh', { refreshToken: other.refreshToken })).status).toBe(200);
  });

  it('lets only one of two simultaneous uses of a refresh token through, then revokes the family', async () => {
    const user = await userWithPassword(db.storage, t.organizationId, 'viewer');
    const s = await session(user.email);
    const [r1, r2] = await Promise.all([
      client().post('/api/auth/refresh', { refreshToken: s.refreshToken }),
      client().post('/api/auth/refresh', { refreshToken: s.refreshToken }),
    ]);
    expect([r1.status, r2.status].sort()).toEqual([200, 401]);
    const winner = (await (r1.status === 200 ? r1 : r2).json()) as Session;
    expect((await client().post('/api/auth/refresh', { refreshToken: winner.refreshToken })).status).toBe(
      401,
    );
  });

  it('refuses an expired refresh token', async () => {
    const user = await userWithPassword(db.storage, t.organizationId, 'viewer');
    const { token, hash } = generateRefreshToken();
    await db.storage.tokens.create({
      userId: user.id,
      familyId: crypto.randomUUID(),
      tokenHash: hash,
      expiresAt: new Date(Date.now() - 1000),
      createdIp: null,
    });
    expect((await client().post('/api/auth/refresh', { refreshToken: token })).status).toBe(401);
  });

  it('stores refresh tokens hashed', async () => {
    const user = await userWithPassword(db.storage, t.organizationId, 'viewer');
    const s = await session(user.email);
    const rows =
      db.dialect === 'sqlite'
        ? ((db.storage as SqliteStorage).sqlite
            .prepare('SELECT token_hash FROM refresh_tokens WHERE user_id = ?')
            .all(user.id) as Array<{ token_hash: string }>)
        : (
            await (db.storage as PostgresStorage).pool.query<{ token_hash: string }>(
              'SELECT token_hash FROM refresh_tokens WHERE user_id = $1',
              [user.id],
            )
          ).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]?.token_hash).not.toContain(s.refreshToken);
  });

  it('logout revokes the access token and every refresh token of the user', async () => {
    const user = await userWithPassword(db.storage, t.organizationId, 'viewer');
    const a = await session(user.email);
    const b = await session(user.email);
    const c = client();
    expect((await c.get('/api/auth/me', a.accessToken)).status).toBe(200);
    expect((await c.post('/api/auth/logout', undefined, a.accessToken)).status).toBe(204);
    expect((await c.get('/api/auth/me', a.accessToken)).status).toBe(401);
    expect((await c.get('/api/auth/me', b.accessToken)).status).toBe(401);
    expect((await c.post('/api/auth/refresh', { refreshToken: a.refreshToken })).status).toBe(401);
    expect((await c.post('/api/auth/refresh', { refreshToken: b.refreshToken })).status).toBe(401);
    // Logging in again works.
    const again = await session(user.email);
    expect((await client().get('/api/auth/me', again.accessToken)).status).toBe(200);
  });

  it('changes the password under the policy and revokes the other sessions', async () => {
    const user = await userWithPassword(db.storage, t.organizationId, 'analyst');
    const old = await session(user.email);
    const c = client();
    const weak = await c.post(
      '/api/auth/password',
      { currentPassword: PASSWORD, newPassword: 'alllowercase-no-digits' },
      old.accessToken,
    );
    expect(weak.status).toBe(400);
    expect(await weak.json()).toMatchObject({
      details: [{ field: 'newPassword', message: expect.stringContaining('upper-case') }],
    });
    const wrong = await c.post(
      '/api/auth/password',
      { currentPassword: 'Not-the-password-1', newPassword: 'New-Password-2024!' },
      old.accessToken,
    );
    expect(wrong.status).toBe(400);
    const ok = await c.post(
      '/api/auth/password',
      { currentPassword: PASSWORD, newPassword: 'New-Password-2024!' },
      old.accessToken,
    );
    expect(ok.status).toBe(200);
    const fresh = (await ok.json()) as Session;
    expect((await c.get('/api/auth/me', old.accessToken)).status).toBe(401);
    expect((await c.post('/api/auth/refresh', { refreshToken: old.refreshToken })).status).toBe(401);
    expect((await c.get('/api/auth/me', fresh.accessToken)).status).toBe(200);
    expect((await client().login(user.email)).status).toBe(401);
    expect((await client().login(user.email, 'New-Password-2024!')).status).toBe(200);
  });

  it('a role change ends the sessions carrying the old role; a refresh carries the new one', async () => {
    const admin = await userWithPassword(db.storage, t.organizationId, 'admin');
    const user = await userWithPassword(db.storage, t.organizationId, 'analyst');
    const a = await session(admin.email);
    const u = await session(user.email);
    const c = client();
    expect((await c.patch(`/api/users/${user.id}`, { role: 'viewer' }, a.accessToken)).status).toBe(200);
    expect((await c.get('/api/auth/me', u.accessToken)).status).toBe(401);
    const login = await session(user.email);
    expect(login.user.role).toBe('viewer');
  });

  it('limits auth endpoints to 5 a minute per IP with X-RateLimit headers and Retry-After', async () => {
    const c = client();
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await c.post('/api/auth/refresh', { refreshToken: `hr_bogus_${i}` });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(last?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last?.headers.get('x-ratelimit-limit')).toBe('5');
    expect(last?.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(last?.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(t.logs.some((l) => l.msg === 'rate limit exceeded' && l.path === '/api/auth/refresh')).toBe(true);
    // Another IP is not affected; a forged X-Forwarded-For entry before the proxy's does not help.
    expect((await client().post('/api/auth/refresh', { refreshToken: 'hr_x' })).status).toBe(401);
    const forged = await t.app.request('/api/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.9.9, 198.51.100.${ipN - 1}` },
      body: JSON.stringify({ refreshToken: 'hr_y' }),
    });
    expect(forged.status).toBe(429);
  });
});

describe.each(DIALECTS)('failed logins on %s', (dialect) => {
  let db: TestDatabase;
  afterAll(() => db.drop());

  it('refuses login after 5 failures in 15 minutes from an IP, even with the right password', async () => {
    db = await freshDatabase(dialect);
    const t = await accountsApp(db.storage, {
      rateLimits: { ipPerMinute: 1000, userPerMinute: 100, authPerMinute: 100, loginFailuresPer15Min: 5 },
    });
    const user = await userWithPassword(db.storage, t.organizationId, 'viewer');
    const c = api(t.app, '192.0.2.50');
    for (let i = 0; i < 5; i++) expect((await c.login(user.email, `Wrong-pass-${i}!`)).status).toBe(401);
    const blocked = await c.login(user.email);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(800); // ~15 minutes
    expect((await api(t.app, '192.0.2.51').login(user.email)).status).toBe(200);
  });
});
