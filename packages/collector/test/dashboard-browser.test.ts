import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/auth/passwords.js';
import { dashboardDist } from '../src/routes/dashboard/index.js';
import type { RunningServer } from '../src/serve.js';
import { DIALECTS, freshDatabase, type TestDatabase } from './databases.js';
import { batchBody, ingest, liveOrg, liveServer } from './live.js';
import { TcpProxy } from './tcp-proxy.js';

/** What the page's global scope offers to page.evaluate callbacks (this file has no DOM types). */
interface InPage {
  document: { documentElement: { scrollWidth: number } };
}

const ARTIFACTS = join(import.meta.dirname, '../test-results');
const PASSWORD = 'correct horse battery staple';
const HOSTILE_CONTENT =
  '<img src=x onerror="window.__xss=1"> refund now </textarea><script>window.__xss=2</script>';
const HOSTILE_USER = '<b onmouseover="window.__xss=3">mallory</b>';

let browser: Browser;

beforeAll(async () => {
  const dist = dashboardDist();
  // The collector serves the dashboard's build: make sure there is one.
  if (!dist || !existsSync(join(dist, 'index.html')))
    execFileSync('node', [join(import.meta.dirname, '../../dashboard/scripts/build.mjs')]);
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});

/** A plain HTML page on another origin (another port) embedding two widgets with `token()`. */
async function hostPage(collector: string, token: () => string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><html><body><h1>Partner portal</h1>
<script src="${collector}/widgets.js"></script>
<heed-widget kind="kpis" token="${token()}" range="24h"></heed-widget>
<heed-widget kind="sentiment-trend" token="${token()}" range="24h"></heed-widget>
</body></html>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://localhost:${(server.address() as AddressInfo).port}/`, server };
}

describe.each(DIALECTS)('dashboard and widgets in Chromium on %s', (dialect) => {
  let db: TestDatabase;
  let server: RunningServer;
  let org: Awaited<ReturnType<typeof liveOrg>>;
  let email: string;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    server = await liveServer(db, { ANALYSIS: 'on', ML_THREADS: '1' });
    org = await liveOrg(server.storage);
    email = `admin-${Math.random().toString(36).slice(2)}@example.com`;
    await server.storage.users.create({
      organizationId: org.organizationId,
      email,
      passwordHash: await hashPassword(PASSWORD),
      role: 'admin',
    });
    // History for the charts: a few scored interactions over the last hours.
    await ingest(
      server.url,
      org.writeKey,
      JSON.stringify({
        batch: Array.from({ length: 12 }, (_, i) => ({
          type: 'track',
          messageId: `seed-${i}`,
          userId: `customer-${i % 4}`,
          timestamp: new Date(Date.now() - (i + 1) * 3_600_000).toISOString(),
          event: 'Support Chat',
          properties: {
            content: i % 3 ? 'Great support, thank you so much!' : 'This is broken and I am angry',
          },
          context: { channel: i % 2 ? 'chat' : 'email', traits: { segment: i % 2 ? 'pro' : 'free' } },
        })),
      }),
    );
    await server.analysis?.pool.warmUp();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it('logs in, shows an interaction live within 1 s, then its sentiment; renders hostile text as text', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/dashboard/`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor({ timeout: 10_000 });
    await page.locator('.chart canvas').first().waitFor({ timeout: 10_000 });

    const sent = Date.now();
    await ingest(
      server.url,
      org.writeKey,
      batchBody(1, {
        userId: HOSTILE_USER,
        properties: { content: HOSTILE_CONTENT },
        context: { channel: 'chat' },
      }),
    );
    const item = page.getByTestId('live-feed').locator('li', { hasText: 'refund now' });
    await item.waitFor({ timeout: 1000 });
    expect(Date.now() - sent).toBeLessThan(1000);
    await expect.poll(() => item.locator('.content').textContent()).toBe(HOSTILE_CONTENT);
    expect(await item.locator('.who').textContent()).toBe(HOSTILE_USER);
    // Then the analysis result arrives over the same stream.
    await item.getByTestId('sentiment').filter({ hasNotText: 'scoring' }).waitFor({ timeout: 15_000 });
    expect(await item.getByTestId('sentiment').textContent()).toMatch(
      /^(positive|negative|neutral) [+-]?\d\.\d\d$/,
    );
    await item.hover();
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('img[src=x]').count()).toBe(0);

    expect(await page.getByTestId('kpi').count()).toBe(4);
    await page.waitForTimeout(1800); // aggregates refresh after live events
    await page.screenshot({ path: join(ARTIFACTS, `dashboard-${dialect}.png`), fullPage: true });

    // Responsive: on a phone the page reflows instead of scrolling sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    expect(
      await page.evaluate(() => (globalThis as unknown as InPage).document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(ARTIFACTS, `dashboard-mobile-${dialect}.png`), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 1000 });

    // The customer page, reached from the feed.
    await item.locator('.who a').click();
    await page.locator('.customer-name').waitFor();
    expect(await page.locator('.customer-name').textContent()).toBe(HOSTILE_USER);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('reconnects with backoff after an outage and shows what was missed meanwhile', async () => {
    const proxy = new TcpProxy(server.port);
    const base = `http://127.0.0.1:${await proxy.start()}`;
    const page = await browser.newPage();
    await page.goto(`${base}/dashboard/`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    const status = page.getByTestId('live-status');
    await status.filter({ hasText: 'Live' }).waitFor({ timeout: 10_000 });
    await page.getByTestId('live-feed').waitFor();

    await proxy.cut();
    await status.filter({ hasText: 'Reconnecting in 1 s' }).waitFor({ timeout: 5000 });
    await status.filter({ hasText: 'Reconnecting in 2 s' }).waitFor({ timeout: 5000 });
    await ingest(
      server.url,
      org.writeKey,
      batchBody(1, { userId: 'while-away', properties: { content: 'missed me?' } }),
    );
    await proxy.restore();
    await status.filter({ hasText: 'Live' }).waitFor({ timeout: 10_000 });
    // Either replayed from the stream's buffer (Last-Event-ID) or refetched after a resync.
    await page.getByTestId('live-feed').locator('li', { hasText: 'missed me?' }).waitFor({ timeout: 5000 });
    await page.close();
    await proxy.cut();
  }, 60_000);

  it('runs a widget on another origin, live, until its token is revoked', async () => {
    const admin = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    const { accessToken } = (await admin.json()) as { accessToken: string };
    const auth = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
    let token = '';
    const host = await hostPage(server.url, () => token);
    const hostOrigin = new URL(host.url).origin;
    // The admin creates the token in the dashboard's Widgets page and copies the snippet.
    const dash = await browser.newPage();
    await dash.goto(`${server.url}/dashboard/`);
    await dash.fill('input[name=email]', email);
    await dash.fill('input[name=password]', PASSWORD);
    await dash.click('button[type=submit]');
    await dash.click('a[href="#/widgets"]');
    await dash.fill('input[name=name]', 'Partner portal');
    await dash.getByLabel('kpis').check();
    await dash.fill('textarea[name=origins]', hostOrigin);
    await dash.click('button[type=submit]');
    const snippet = (await dash.locator('.snippet').textContent()) ?? '';
    token = /token="(hem_[^"]+)"/.exec(snippet)?.[1] ?? '';
    expect(snippet).toContain(`<script src="${server.url}/widgets.js"></script>`);
    expect(token).not.toBe('');
    await dash.screenshot({ path: join(ARTIFACTS, `widgets-admin-${dialect}.png`) });
    try {
      const page = await browser.newPage();
      await page.goto(host.url);
      const volume = page.locator('heed-widget[kind=kpis] .tile .v').first();
      await volume.waitFor({ timeout: 10_000 });
      await page.locator('heed-widget[kind=sentiment-trend] canvas').first().waitFor({ timeout: 10_000 });
      await page.locator('heed-widget[kind=kpis] .title', { hasText: 'live' }).waitFor({ timeout: 5000 });
      const before = Number(await volume.textContent());
      await ingest(server.url, org.writeKey, batchBody(2));
      await expect.poll(async () => Number(await volume.textContent()), { timeout: 5000 }).toBe(before + 2);
      await page.screenshot({ path: join(ARTIFACTS, `widget-${dialect}.png`) });

      // Revoked in the dashboard: the embedded widget stops.
      await dash.getByRole('button', { name: 'Revoke' }).click();
      await dash.getByText('revoked', { exact: true }).waitFor();
      await page.locator('heed-widget[kind=kpis] .err', { hasText: 'revoked' }).waitFor({ timeout: 10_000 });
      const direct = await fetch(`${server.url}/v1/embed/data?token=${token}&kind=kpis`);
      expect(direct.status).toBe(401);

      // Another origin is refused even with a valid token.
      const other = await fetch(`${server.url}/api/embed-tokens`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'x', widgets: ['kpis'], allowedOrigins: ['https://partner.example'] }),
      });
      const t2 = ((await other.json()) as { token: string }).token;
      const refused = await fetch(`${server.url}/v1/embed/data?token=${t2}&kind=kpis`, {
        headers: { origin: hostOrigin },
      });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      await page.close();
      await dash.close();
    } finally {
      host.server.close();
    }
  }, 60_000);
});
