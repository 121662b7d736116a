import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountsApp, api } from '../../test/accounts.js';
import { userWithToken } from '../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../test/databases.js';
import { ConfigError, loadConfig } from '../config.js';
import { startCollector } from '../testing.js';

describe.each(DIALECTS)('HTTP hardening on %s', (dialect) => {
  let db: TestDatabase;
  let t: Awaited<ReturnType<typeof accountsApp>>;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
    t = await accountsApp(db.storage, { corsOrigins: ['https://dash.example.com'] });
  });
  afterAll(() => db.drop());

  it('sends secure headers, HSTS included, on every answer', async () => {
    for (const path of ['/healthz', '/api/auth/me', '/nope']) {
      const res = await t.app.request(path);
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+; includeSubDomains/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('answers CORS for the allowed origins only, with credentials and never a wildcard', async () => {
    const preflight = (origin: string) =>
      t.app.request('/api/auth/login', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    const ok = await preflight('https://dash.example.com');
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const evil = await preflight('https://evil.example.net');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const get = await t.app.request('/api/auth/me', { headers: { origin: 'https://evil.example.net' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a wildcard CORS allow-list at start-up', () => {
    const dir = mkdtempSync(join(tmpdir(), 'heed-cfg-'));
    try {
      expect(() => loadConfig({ HEED_DATA_DIR: dir, CORS_ORIGINS: 'https://a.example,*' })).toThrow(
        ConfigError,
      );
      expect(() => loadConfig({ HEED_DATA_DIR: dir, TLS_CERT_FILE: '/etc/hostname' })).toThrow(
        /TLS_KEY_FILE/,
      );
      expect(() => loadConfig({ HEED_DATA_DIR: dir, DATABASE_SSL: 'verify-full' })).toThrow(
        /DATABASE_CA_FILE/,
      );
      expect(loadConfig({ HEED_DATA_DIR: dir, RATE_LIMIT_IP_PER_MIN: '0' }).rateLimits.ipPerMinute).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('limits JSON bodies of the API in size (413) and depth (400)', async () => {
    const admin = await userWithToken(db.storage, t.organizationId, 'admin');
    const c = api(t.app);
    const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
    const r1 = await t.app.request('/api/users', {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: deep,
    });
    expect(r1.status).toBe(400);
    expect(((await r1.json()) as { error: string }).error).toContain('nested deeper');
    const big = await c.post(
      '/api/users',
      { email: 'a@b.co', role: 'viewer', name: 'x'.repeat(1_100_000) },
      admin.token,
    );
    expect(big.status).toBe(413);
  });
});

describe('TLS', () => {
  it('serves HTTPS with the configured certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heed-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const server = await startCollector({ env: { TLS_CERT_FILE: cert, TLS_KEY_FILE: key, ANALYSIS: 'off' } });
    try {
      expect(server.url).toMatch(/^https:\/\//);
      const { readFileSync } = await import('node:fs');
      const body = await new Promise<string>((resolve, reject) => {
        request(`${server.url}/healthz`, { ca: readFileSync(cert) }, (res) => {
          let data = '';
          res.on('data', (d) => {
            data += d;
          });
          res.on('end', () => resolve(data));
        })
          .on('error', reject)
          .end();
      });
      expect(JSON.parse(body)).toEqual({ status: 'ok' });
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('connects to PostgreSQL over TLS only, when DATABASE_SSL asks for it (no silent plaintext fallback)', async () => {
    const db = await freshDatabase('postgres');
    try {
      // The test server has ssl=off: a collector that requires TLS must refuse to start.
      await expect(
        startCollector({ databaseUrl: db.databaseUrl!, env: { DATABASE_SSL: 'require', ANALYSIS: 'off' } }),
      ).rejects.toThrow(/does not support SSL/);
    } finally {
      await db.drop();
    }
  });
});
