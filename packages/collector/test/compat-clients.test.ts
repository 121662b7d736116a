import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { PostHog } from 'posthog-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import type { HubEvent } from '../src/realtime/hub.js';
import { type RunningServer, startServer } from '../src/serve.js';
import type { Customer, Interaction, Storage } from '../src/storage/types.js';
import { createOrgWithWriteKey } from '../src/testing.js';
import { DIALECTS, freshDatabase, type TestDatabase } from './databases.js';

/**
 * The real, unmodified npm clients of Segment and PostHog against a collector on a real port: only
 * their host changes. Every call type must arrive, mapped to Heed's model, exactly once, also when
 * the collector refuses the first request with 503 (database unreachable) and the client retries.
 */

/** Wraps a storage so that the next `ingest` calls fail as if the database refused connections. */
function withOutage(storage: Storage) {
  const state = { failNext: 0, failed: 0 };
  const wrapped = new Proxy(storage, {
    get(target, prop) {
      if (prop === 'ingest') {
        return async (...args: Parameters<Storage['ingest']>) => {
          if (state.failNext > 0) {
            state.failNext--;
            state.failed++;
            throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
          }
          return target.ingest(...args);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { storage: wrapped, state };
}

/** PII traits may be stored encrypted; either way the value arrived. */
const storedAs = (plain: string) => expect.toSatisfy((v: unknown) => v === plain || /^enc:/.test(String(v)));

describe.each(DIALECTS)('Segment and PostHog clients against a real collector on %s', (dialect) => {
  let db: TestDatabase;
  let dir: string;
  let server: RunningServer;
  let outage: ReturnType<typeof withOutage>['state'];
  let writeKey: string;
  let organizationId: string;
  let published: HubEvent[] = [];

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    ({ organizationId, writeKey } = await createOrgWithWriteKey(db.storage, 'Compat'));
    dir = mkdtempSync(join(tmpdir(), 'heed-compat-'));
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      HEED_DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      JWT_SECRET: 'test-secret-test-secret-test-secret-0000',
      ENCRYPTION_KEY: '0'.repeat(64),
      ANALYSIS: 'off',
      ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
    });
    const wrapped = withOutage(db.storage);
    outage = wrapped.state;
    server = await startServer(config, { storage: wrapped.storage, logger: createLogger('silent') });
    server.hub.subscribe((org, e) => {
      if (org === organizationId) published.push(e);
    });
  });
  afterAll(async () => {
    await server?.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    published = [];
  });

  const customer = async (externalId: string): Promise<Customer> => {
    const c = await db.storage.getCustomerByExternalId(organizationId, externalId);
    expect(c, `customer ${externalId}`).not.toBeNull();
    return c!;
  };
  const interactionsOf = async (externalId: string): Promise<Interaction[]> =>
    db.storage.listInteractions({ organizationId, customerId: (await customer(externalId)).id, limit: 100 });
  const byType = (rows: Interaction[], eventType: string) => {
    const found = rows.filter((r) => r.eventType === eventType);
    expect(found, eventType).toHaveLength(1);
    return found[0]!;
  };

  it('@segment/analytics-node: every call type arrives once, mapped, after a 503 and a retry', async () => {
    const statuses: number[] = [];
    const errors: unknown[] = [];
    const analytics = new Analytics({ writeKey, host: server.url, flushInterval: 60_000, maxRetries: 3 });
    analytics.on('http_response', (r) => statuses.push(r.status));
    analytics.on('error', (e) => errors.push(e));
    outage.failNext = 1;
    const before = outage.failed;

    analytics.identify({
      userId: 'seg-ann',
      traits: { email: 'ann@example.com', segment: 'enterprise', name: 'Ann' },
    });
    analytics.track({
      userId: 'seg-ann',
      event: 'Support Ticket',
      properties: { content: 'The export keeps failing', priority: 'high' },
      context: { channel: 'email' },
    });
    analytics.track({
      userId: 'seg-ann',
      event: 'Chat Message',
      properties: { message: 'Thanks, that fixed it', channel: 'chat' },
    });
    analytics.page({
      userId: 'seg-ann',
      name: 'Pricing',
      properties: { url: 'https://shop.example/pricing' },
    });
    analytics.screen({ userId: 'seg-ann', name: 'Home' });
    analytics.group({ userId: 'seg-ann', groupId: 'acme', traits: { plan: 'pro' } });
    analytics.alias({ userId: 'seg-ann', previousId: 'seg-anon-1' });
    analytics.track({ anonymousId: 'seg-anon-2', event: 'Viewed Docs' });
    await analytics.closeAndFlush({ timeout: 20_000 });

    expect(errors).toEqual([]);
    expect(outage.failed - before).toBe(1);
    expect(statuses).toEqual([503, 200]);

    const rows = await interactionsOf('seg-ann');
    expect(rows).toHaveLength(7);
    expect(new Set(rows.map((r) => r.messageId)).size).toBe(7);
    const ticket = byType(rows, 'Support Ticket');
    expect(ticket).toMatchObject({ channel: 'email', content: 'The export keeps failing' });
    expect(ticket.metadata.properties).toEqual({ priority: 'high' });
    expect(ticket.metadata.context).toMatchObject({ library: { name: '@segment/analytics-node' } });
    expect(byType(rows, 'Chat Message')).toMatchObject({ channel: 'chat', content: 'Thanks, that fixed it' });
    expect(byType(rows, 'identify').channel).toBe('web');
    expect(byType(rows, 'page').metadata.properties).toMatchObject({ url: 'https://shop.example/pricing' });
    expect(byType(rows, 'screen').channel).toBe('mobile');
    expect(byType(rows, 'group').metadata.type).toBe('group');
    expect(byType(rows, 'alias').metadata.type).toBe('alias');

    const ann = await customer('seg-ann');
    expect(ann).toMatchObject({ segment: 'enterprise', interactionCount: 7 });
    expect(ann.traits).toMatchObject({ email: storedAs('ann@example.com'), segment: 'enterprise' });
    expect((await interactionsOf('seg-anon-2')).map((r) => r.eventType)).toEqual(['Viewed Docs']);

    const created = published.filter((e) => e.type === 'interaction.created');
    expect(created).toHaveLength(8);
  });

  it('posthog-node: every call type arrives once, mapped, after a 503 and a retry', async () => {
    const statuses: number[] = [];
    const errors: unknown[] = [];
    const posthog = new PostHog(writeKey, {
      host: server.url,
      flushAt: 100,
      flushInterval: 0,
      fetchRetryDelay: 100,
      // Only to watch the answers: the client's own fetch does the work.
      fetch: async (url, options) => {
        const res = await fetch(url, options as RequestInit);
        statuses.push(res.status);
        return res;
      },
    });
    posthog.on('error', (e) => errors.push(e));
    outage.failNext = 1;
    const before = outage.failed;

    posthog.identify({ distinctId: 'ph-bob', properties: { email: 'bob@example.com', segment: 'smb' } });
    posthog.capture({
      distinctId: 'ph-bob',
      event: 'Review Posted',
      properties: { text: 'Five stars, works great', channel: 'email', rating: 5 },
    });
    posthog.capture({
      distinctId: 'ph-bob',
      event: '$pageview',
      properties: { $current_url: 'https://a.example/' },
    });
    posthog.capture({ distinctId: 'ph-bob', event: '$screen', properties: { $screen_name: 'Settings' } });
    posthog.alias({ distinctId: 'ph-bob', alias: 'ph-old-bob' });
    posthog.groupIdentify({
      groupType: 'company',
      groupKey: 'acme',
      properties: { plan: 'pro' },
      distinctId: 'ph-bob',
    });
    posthog.setPersonProperties({ distinctId: 'ph-bob', properties: { segment: 'mid-market' } });
    posthog.capture({
      distinctId: 'ph-carol',
      event: 'Signed Up',
      uuid: '0190a1b2-0000-7000-8000-00000000ca70',
    });
    await posthog.shutdown(20_000);

    expect(errors).toEqual([]);
    expect(outage.failed - before).toBe(1);
    expect(statuses).toEqual([503, 200]);

    const rows = await interactionsOf('ph-bob');
    expect(rows).toHaveLength(7);
    expect(new Set(rows.map((r) => r.messageId)).size).toBe(7);
    const review = byType(rows, 'Review Posted');
    expect(review).toMatchObject({ channel: 'email', content: 'Five stars, works great' });
    expect(review.metadata.properties).toMatchObject({ rating: 5, $lib: 'posthog-node' });
    expect(review.metadata.properties).not.toHaveProperty('token');
    expect(review.metadata.context).toMatchObject({ library: { name: 'posthog-node' } });
    expect(byType(rows, 'page')).toMatchObject({ channel: 'web' });
    expect(byType(rows, 'screen')).toMatchObject({ channel: 'mobile' });
    expect(byType(rows, 'alias').metadata.type).toBe('alias');
    expect(byType(rows, 'group').metadata.type).toBe('group');
    expect(rows.filter((r) => r.eventType === 'identify')).toHaveLength(2); // $identify and $set

    const bob = await customer('ph-bob');
    expect(bob).toMatchObject({ interactionCount: 7, segment: 'mid-market' });
    expect(bob.traits).toMatchObject({ email: storedAs('bob@example.com'), segment: 'mid-market' });
    const [carol] = await interactionsOf('ph-carol');
    expect(carol).toMatchObject({
      eventType: 'Signed Up',
      messageId: '0190a1b2-0000-7000-8000-00000000ca70',
    });

    const created = published.filter((e) => e.type === 'interaction.created');
    expect(created).toHaveLength(8);
  });
});
