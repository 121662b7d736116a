import { startCollector } from '@heed/collector';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loaderSnippet } from '../src/loader.js';
import { buildSnippet, testServer } from './server.js';

const FAST = { flushInterval: 100, retryBaseMs: 100, retryCapMs: 300, timeoutMs: 1_000, leaseMs: 2_000 };

let browser: Browser;
let server: Awaited<ReturnType<typeof testServer>>;
let context: BrowserContext;

beforeAll(async () => {
  server = await testServer(await buildSnippet());
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
  await server?.close();
});
beforeEach(async () => {
  context = await browser.newContext();
  server.received.length = 0;
  server.stored.clear();
  Object.assign(server.state, { mode: 'up', delayMs: 0, proxyTo: '', preflights: 0 });
});
afterEach(() => context.close());

/** Registers an HTML page that loads the SDK with the one-line snippet. */
function page(path: string, settings: object, body = '', writeKey = 'wk_browser'): string {
  const snippet = loaderSnippet({ src: '/heed.js', writeKey, host: server.url, settings });
  server.pages.set(
    path,
    `<!doctype html><html><head><title>Page ${path}</title>${snippet}</head><body>${body}</body></html>`,
  );
  return server.url + path;
}

const loaded = (p: Page) =>
  p.waitForFunction(
    () => typeof (window as unknown as { heed: { user?: unknown } }).heed.user === 'function',
  );
const track = (p: Page, names: string[]) =>
  p.evaluate((n) => {
    for (const name of n) (window as unknown as { heed: { track(e: string): void } }).heed.track(name);
  }, names);
const storedNames = () => [...server.stored.values()].map((e) => e.event ?? e.type);

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out; stored: ${storedNames().join(', ')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the <script> snippet on a plain HTML page', () => {
  it('replays calls made before it loaded and sends automatic context', async () => {
    const url = page('/plain', FAST, `<script>heed.track('Clicked Buy', { plan: 'pro' })</script>`);
    const tab = await context.newPage();
    await tab.goto(`${url}?utm_source=newsletter&utm_campaign=fall`);
    await until(() => server.stored.size === 2);
    const [pageView, click] = [...server.stored.values()];
    expect(pageView).toMatchObject({ type: 'page', name: 'Page /plain' });
    expect(click).toMatchObject({ type: 'track', event: 'Clicked Buy', properties: { plan: 'pro' } });
    expect(click!.anonymousId).toBe(pageView!.anonymousId);
    expect(click!.context).toMatchObject({
      channel: 'web',
      library: { name: '@heed/sdk-browser' },
      page: { url: `${url}?utm_source=newsletter&utm_campaign=fall`, title: 'Page /plain', referrer: '' },
      sessionId: pageView!.context!.sessionId,
      timezone: expect.any(String),
      screen: { width: expect.any(Number), height: expect.any(Number) },
    });
    // path, search, campaign, user agent and locale are derived by the collector from page.url and
    // the request's headers (see the real collector test)
    expect(click!.context).not.toHaveProperty('campaign');
    expect(click!.context).not.toHaveProperty('userAgent');
  });

  it('a hand-written line without a host says so in the console, and sends nothing', async () => {
    server.pages.set(
      '/no-host',
      `<!doctype html><html><head><script>window.heed=[["init",{"writeKey":"wk_browser"}],["track","Lost"]]</script><script src="/heed.js"></script></head><body></body></html>`,
    );
    const tab = await context.newPage();
    const errors: string[] = [];
    tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await tab.goto(`${server.url}/no-host`);
    await tab.waitForFunction(() => document.readyState === 'complete');
    await new Promise((r) => setTimeout(r, 200));
    expect(errors.join('\n')).toMatch(/heed:.*missing writeKey or host/);
    expect(server.received).toEqual([]);
  });
});

describe('delivery from a real browser', () => {
  it('events queued while the collector is down arrive once it is back, once each', async () => {
    server.state.mode = 'down';
    const tab = await context.newPage();
    await tab.goto(page('/app', FAST));
    await loaded(tab);
    await track(tab, ['A', 'B', 'C']);
    await new Promise((r) => setTimeout(r, 600));
    expect(server.stored.size).toBe(0);
    server.state.mode = 'up';
    await until(() => server.stored.size === 4);
    expect(storedNames().sort()).toEqual(['A', 'B', 'C', 'page']);
  });

  it('an event tracked right before navigating away arrives', async () => {
    const tab = await context.newPage();
    await tab.goto(page('/leave', { flushInterval: 60_000 }));
    page('/next', { flushInterval: 60_000 });
    await loaded(tab);
    await tab.evaluate(() => {
      (window as unknown as { heed: { track(e: string): void } }).heed.track('Leaving');
      location.href = '/next';
    });
    await until(() => storedNames().includes('Leaving'));
    expect(server.received.some((r) => r.contentType?.startsWith('text/plain'))).toBe(true); // the beacon
    // Let the navigation finish before the context is torn down (closing mid-navigation can hang).
    await tab.waitForURL(/\/next/);
    await loaded(tab);
  });

  it('an event tracked right before closing the tab arrives', async () => {
    const tab = await context.newPage();
    await tab.goto(page('/close', { flushInterval: 60_000 }));
    await loaded(tab);
    await track(tab, ['Closing']);
    await tab.close({ runBeforeUnload: true });
    await until(() => storedNames().includes('Closing'));
  });

  it('a reload with a queued batch delivers it exactly once', async () => {
    server.state.mode = 'down';
    const tab = await context.newPage();
    await tab.goto(page('/reload', FAST));
    await loaded(tab);
    await track(tab, ['R1', 'R2', 'R3', 'R4', 'R5']);
    await new Promise((r) => setTimeout(r, 400)); // at least one failed attempt
    await tab.reload();
    await loaded(tab);
    server.state.mode = 'up';
    await until(() => ['R1', 'R2', 'R3', 'R4', 'R5'].every((n) => storedNames().includes(n)));
    await new Promise((r) => setTimeout(r, 500)); // would a second copy follow?
    const names = storedNames().filter((n) => n.startsWith('R'));
    expect(names.sort()).toEqual(['R1', 'R2', 'R3', 'R4', 'R5']);
    const sentAfterOutage = server.receivedIds();
    expect(new Set(sentAfterOutage).size).toBe(sentAfterOutage.length); // none sent twice either
  });

  it('two tabs of the same site never send the same event twice', async () => {
    server.state.delayMs = 150; // slow answers: the tabs' claims overlap
    const [a, b] = [await context.newPage(), await context.newPage()];
    const url = page('/tabs', { ...FAST, flushAt: 5 });
    await Promise.all([a.goto(url), b.goto(url)]);
    await Promise.all([loaded(a), loaded(b)]);
    const names = (tab: string) => Array.from({ length: 25 }, (_, i) => `${tab}${i}`);
    await Promise.all([track(a, names('a')), track(b, names('b'))]);
    await until(() => server.stored.size === 52, 10_000);
    const ids = server.receivedIds();
    expect(ids.length).toBe(52);
    expect(new Set(ids).size).toBe(52);
  });
});

describe('consent and cross-origin sending', () => {
  type Heed = { optOut(): void; optIn(): void; on(t: string, fn: (e: { count: number }) => void): void };
  const heed = (tab: Page, method: 'optOut' | 'optIn') =>
    tab.evaluate((m) => (window as unknown as { heed: Heed }).heed[m](), method);

  it('optOut() is remembered across a reload, and optIn() resumes', async () => {
    const tab = await context.newPage();
    await tab.goto(page('/consent', FAST));
    await loaded(tab);
    await until(() => storedNames().includes('page')); // the loader's page view, before opting out
    await heed(tab, 'optOut');
    await track(tab, ['Hidden']);
    await tab.reload(); // its page view is dropped: the opt-out was remembered
    await loaded(tab);
    await track(tab, ['Still hidden']);
    await heed(tab, 'optIn');
    await track(tab, ['Shown']);
    await until(() => storedNames().includes('Shown'));
    await new Promise((r) => setTimeout(r, 300));
    // this page's events only (an earlier test's tabs may still beacon on their way out)
    const mine = [...server.stored.values()].filter((e) => e.context?.page?.url?.endsWith('/consent'));
    expect(mine.map((e) => e.event ?? e.type).sort()).toEqual(['Shown', 'page']);
  });

  it('with respectDoNotTrack, a browser sending Global Privacy Control is not tracked', async () => {
    await context.addInitScript(() =>
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }),
    );
    const tab = await context.newPage();
    await tab.goto(page('/gpc', { ...FAST, respectDoNotTrack: true }));
    await loaded(tab);
    await track(tab, ['Private']);
    await new Promise((r) => setTimeout(r, 400));
    expect(server.received).toEqual([]);
    await tab.goto(page('/gpc-ignored', FAST)); // the same browser, on a site that does not ask
    await loaded(tab);
    await until(() => storedNames().includes('page'));
  });

  it('sends to a collector on another origin without a CORS preflight, gzipped or not', async () => {
    const tab = await context.newPage();
    // the page on localhost, the collector (host) on 127.0.0.1: two origins
    await tab.goto(page('/cross', FAST).replace('127.0.0.1', 'localhost'));
    await loaded(tab);
    await tab.evaluate(() => {
      const w = window as unknown as { heed: Heed; delivered: number };
      w.delivered = 0;
      w.heed.on('delivered', (d) => {
        w.delivered += d.count;
      });
    });
    await track(tab, ['Small']);
    await until(() => storedNames().includes('Small'));
    const big = Array.from({ length: 5 }, (_, i) => `Big ${i} ${'x'.repeat(400)}`); // over 1 KB: gzipped
    await track(tab, big);
    await until(() => big.every((n) => storedNames().includes(n)));
    await tab.waitForFunction(() => (window as unknown as { delivered: number }).delivered >= 6);
    expect(server.state.preflights).toBe(0);
    expect(server.received.some((r) => r.contentType === undefined)).toBe(true); // the gzipped bytes
  });
});

describe('against the real collector', () => {
  it('stores what a page tracked, across a navigation, exactly once', async () => {
    const collector = await startCollector();
    try {
      server.state.proxyTo = collector.url; // same origin for the page; the batches go to the real collector
      const settings = { flushInterval: 60_000 };
      const first = page('/real', settings, '', collector.writeKey);
      page(
        '/real-next',
        { flushInterval: 100 },
        `<script>heed.track('Checkout Viewed', { big: '${'x'.repeat(2000)}' })</script>`,
        collector.writeKey,
      );
      const tab = await context.newPage();
      await tab.goto(`${first}?utm_campaign=spring&utm_source=news`);
      await loaded(tab);
      await tab.evaluate(() => {
        const heed = (window as unknown as { heed: { track(e: string): void } }).heed;
        heed.track('Added To Cart');
        heed.track('Started Checkout');
        location.href = '/real-next';
      });
      const count = () => collector.storage.countInteractions(collector.organizationId);
      const end = Date.now() + 8_000;
      while ((await count()) < 5 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500)); // the second page re-sends the beaconed events: no copies
      const rows = await collector.storage.listInteractions({
        organizationId: collector.organizationId,
        limit: 50,
      });
      expect(rows.map((r) => r.eventType).sort()).toEqual([
        'Added To Cart',
        'Checkout Viewed',
        'Started Checkout',
        'page',
        'page',
      ]);
      expect(rows.every((r) => r.channel === 'web')).toBe(true);
      // The automatic page context as stored: the collector derived path, search and campaign from the URL.
      const contexts = rows.filter((r) => r.eventType === 'page').map((r) => r.metadata.context);
      expect(contexts).toContainEqual(
        expect.objectContaining({
          page: expect.objectContaining({ path: '/real', search: '?utm_campaign=spring&utm_source=news' }),
          campaign: { name: 'spring', source: 'news' },
          userAgent: expect.stringContaining('Chrome'),
          locale: expect.stringMatching(/^[a-z]{2}/i),
        }),
      );
    } finally {
      await collector.close();
    }
  });
});
