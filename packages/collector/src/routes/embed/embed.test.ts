import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithOrg, event, userWithToken } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';

const SITE = 'https://wiki.example.com';

describe.each(DIALECTS)('embed tokens and widget data on %s', (dialect) => {
  let db: TestDatabase;
  let ctx: Awaited<ReturnType<typeof appWithOrg>>;
  let admin: Record<string, string>;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    ctx = await appWithOrg(db.storage);
    admin = {
      ...(await userWithToken(db.storage, ctx.organizationId, 'admin')).headers,
      'content-type': 'application/json',
    };
    const res = await ctx.app.request('/v1/batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.writeKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batch: [event(), event({ context: { channel: 'chat' } })] }),
    });
    expect(res.status).toBe(200);
  });
  afterAll(() => db.drop());

  const create = (body: Record<string, unknown>) =>
    ctx.app.request('/api/embed-tokens', { method: 'POST', headers: admin, body: JSON.stringify(body) });
  const widget = (token: string, kind: string, origin?: string) =>
    ctx.app.request(`/v1/embed/data?token=${encodeURIComponent(token)}&kind=${kind}&range=24h`, {
      headers: origin ? { origin } : {},
    });

  it('creates a token shown once, stores only its hash, lists and revokes it', async () => {
    const res = await create({ name: 'Wiki', widgets: ['kpis'], allowedOrigins: [SITE], expiresInDays: 30 });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; token: string; expiresAt: string };
    expect(body.token).toMatch(/^hem_/);
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(await db.storage.live.findEmbedToken(body.token)).toBeNull(); // not stored in clear

    const list = (await (await ctx.app.request('/api/embed-tokens', { headers: admin })).json()) as {
      data: Array<Record<string, unknown>>;
    };
    expect(list.data.map((t) => t.id)).toContain(body.id);
    expect(JSON.stringify(list)).not.toContain(body.token);

    expect((await widget(body.token, 'kpis', SITE)).status).toBe(200);
    const revoked = await ctx.app.request(`/api/embed-tokens/${body.id}`, {
      method: 'DELETE',
      headers: admin,
    });
    expect(revoked.status).toBe(200);
    expect((await widget(body.token, 'kpis', SITE)).status).toBe(401);
  });

  it("serves a widget's aggregates with CORS for its allowed origins only", async () => {
    const { token } = (await (
      await create({ name: 'Wiki', widgets: ['kpis', 'sentiment-trend'], allowedOrigins: [SITE] })
    ).json()) as { token: string };
    const ok = await widget(token, 'kpis', SITE);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SITE);
    const data = (await ok.json()) as { metrics: { volume: number; byChannel: unknown[] } };
    expect(data.metrics.volume).toBe(2);
    expect(JSON.stringify(data)).not.toContain('export keeps failing'); // aggregates, not content

    const trend = await widget(token, 'sentiment-trend', SITE);
    expect(((await trend.json()) as { points: unknown[] }).points.length).toBeGreaterThan(0);

    const elsewhere = await widget(token, 'kpis', 'https://evil.example');
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
    expect((await widget(token, 'channels', SITE)).status).toBe(403); // widget not granted
    expect((await widget('hem_forged', 'kpis', SITE)).status).toBe(401);
  });

  it('refuses bad tokens requests and non-admins', async () => {
    const bad = await create({ name: 'x', widgets: [], allowedOrigins: ['https://a.example/path'] });
    expect(bad.status).toBe(400);
    const analyst = (await userWithToken(db.storage, ctx.organizationId, 'analyst')).headers;
    const res = await ctx.app.request('/api/embed-tokens', { headers: analyst });
    expect(res.status).toBe(403);
  });

  it("keeps organizations apart: another organization's admin cannot revoke or list the token", async () => {
    const { id } = (await (
      await create({ name: 'Wiki', widgets: ['kpis'], allowedOrigins: [SITE] })
    ).json()) as {
      id: string;
    };
    const other = await appWithOrg(db.storage, 'Other');
    const otherAdmin = (await userWithToken(db.storage, other.organizationId, 'admin')).headers;
    const res = await ctx.app.request(`/api/embed-tokens/${id}`, { method: 'DELETE', headers: otherAdmin });
    expect(res.status).toBe(404);
    const list = (await (await ctx.app.request('/api/embed-tokens', { headers: otherAdmin })).json()) as {
      data: unknown[];
    };
    expect(list.data).toEqual([]);
  });
});
