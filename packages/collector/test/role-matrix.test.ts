import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/storage/types.js';
import { appWithOrg, userWithToken } from './app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from './databases.js';

/**
 * Every route the app registers must appear in the README's route × role table, and behave as it says:
 * a user-token route answers 401 without a token, 403 to the roles marked —, and neither to the roles
 * marked ✓; a route with another credential never accepts a user's token alone.
 */
interface Row {
  route: string;
  credential: string;
  allowed: Role[] | null;
}

const ROLES: Role[] = ['viewer', 'analyst', 'admin'];

function readTable(): Row[] {
  const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');
  const section = readme.split('### Route × role')[1]?.split('\n## ')[0] ?? '';
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cells = line.split('|').map((s) => s.trim());
    const [, routes = '', credential = '', viewer, analyst, admin] = cells;
    const marks = [viewer, analyst, admin];
    const allowed = credential.startsWith('JWT') ? ROLES.filter((_, i) => marks[i] === '✓') : null;
    for (const m of routes.matchAll(/`([A-Z]+ [^`]+)`/g)) rows.push({ route: m[1]!, credential, allowed });
  }
  return rows;
}

const fill = (path: string) => path.replace(/:[A-Za-z]+/g, '0190a7b2-0000-7000-8000-000000000000');

describe.each(DIALECTS)('route × role matrix on %s', (dialect) => {
  let db: TestDatabase;
  let ctx: Awaited<ReturnType<typeof appWithOrg>>;
  const table = readTable();

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    ctx = await appWithOrg(db.storage);
  });
  afterAll(() => db.drop());

  const call = async (method: string, path: string, token?: string) => {
    const res = await ctx.app.request(fill(path), {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(method !== 'GET' ? { 'content-type': 'application/json' } : {}),
      },
      ...(method !== 'GET' ? { body: '{}' } : {}),
    });
    await res.body?.cancel(); // SSE streams would never end
    return res.status;
  };

  it('documents every registered route in the README table', () => {
    const registered = new Set(
      ctx.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`),
    );
    const documented = new Set(table.map((r) => r.route));
    expect([...registered].filter((r) => !documented.has(r)).sort()).toEqual([]);
    expect([...documented].filter((r) => !registered.has(r)).sort()).toEqual([]);
  });

  it('enforces the roles of every user-token route', async () => {
    const wrong: string[] = [];
    for (const row of table.filter((r) => r.allowed !== null)) {
      const [method = '', path = ''] = row.route.split(' ');
      const anonymous = await call(method, path);
      if (anonymous !== 401) wrong.push(`${row.route} without a token: ${anonymous}`);
      for (const role of ROLES) {
        const { token } = await userWithToken(db.storage, ctx.organizationId, role); // logout revokes it
        const status = await call(method, path, token);
        const allowed = row.allowed!.includes(role);
        if (allowed && (status === 401 || status === 403)) wrong.push(`${row.route} as ${role}: ${status}`);
        if (!allowed && status !== 403) wrong.push(`${row.route} as ${role}: ${status}, expected 403`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('never lets a user token stand in for a write key', async () => {
    const { token } = await userWithToken(db.storage, ctx.organizationId, 'admin');
    const wrong: string[] = [];
    for (const row of table.filter((r) => r.credential === 'write key')) {
      const [method = '', path = ''] = row.route.split(' ');
      const status = await call(method, path, token);
      if (status < 400) wrong.push(`${row.route}: ${status}`);
    }
    expect(wrong).toEqual([]);
  });
});
