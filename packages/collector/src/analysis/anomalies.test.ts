import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithOrg, userWithToken } from '../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../test/databases.js';
import { memoryCache } from '../cache/kv.js';
import { createLogger } from '../logger.js';
import { Hub, type HubEvent } from '../realtime/hub.js';
import type { InteractionInput } from '../storage/types.js';
import { AnomalyDetector } from './anomalies.js';
import { signPayload } from './webhook.js';

const DAY = 86_400_000;

describe.each(DIALECTS)('anomaly detection on %s', (dialect) => {
  let db: TestDatabase;
  let org: string;
  let app: Awaited<ReturnType<typeof appWithOrg>>;
  const received: Array<{ body: string; signature: string; timestamp: string }> = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({
        body,
        signature: String(req.headers['x-heed-signature']),
        timestamp: String(req.headers['x-heed-timestamp']),
      });
      res.end('ok');
    });
  });
  const now = new Date(Math.floor(Date.now() / DAY) * DAY + 10 * 3_600_000);

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    app = await appWithOrg(db.storage, 'Anomalous');
    org = app.organizationId;
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    // 35 quiet days of ~20 chats a day, then yesterday a flood of 200.
    const rows: InteractionInput[] = [];
    const today = Math.floor(now.getTime() / DAY) * DAY;
    for (let d = 35; d >= 1; d--) {
      const count = d === 1 ? 200 : 18 + (d % 5);
      for (let i = 0; i < count; i++) {
        rows.push({
          id: crypto.randomUUID(),
          messageId: `a-${d}-${i}`,
          externalId: `c-${i % 40}`,
          timestamp: new Date(today - d * DAY + ((i * 60_000) % DAY)),
          receivedAt: new Date(),
          channel: 'chat',
          eventType: 'Chat Message',
          content: null,
          metadata: {},
          segment: null,
          traits: null,
        });
      }
    }
    await db.storage.ingest(org, rows);
  });
  afterAll(async () => {
    hook.close();
    await db.drop();
  });

  it('finds the spike, stores it once, publishes it and sends one signed alert', async () => {
    const hub = new Hub();
    const published: HubEvent[] = [];
    hub.subscribe((o, e) => o === org && published.push(e));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
    const detector = new AnomalyDetector({
      storage: db.storage,
      hub,
      logger: createLogger('silent'),
      cache: memoryCache(),
      webhook: { url, secret: 'a-very-secret-webhook-key' },
    });
    const found = await detector.runOnce(now);
    const spike = found.find(
      (a) => a.metric === 'volume' && a.granularity === 'day' && a.scopeType === 'organization',
    );
    expect(spike).toMatchObject({ direction: 'spike', value: 200 });
    expect(spike!.description).toMatch(/200 interactions/);
    expect(['medium', 'high', 'critical']).toContain(spike!.severity);
    expect(published.filter((e) => e.type === 'anomaly.detected').length).toBe(found.length);

    // One alert per (metric, scope, direction): the daily organization-level spike among them.
    const bodies = received.map((r) => JSON.parse(r.body) as { anomaly: { id: string } });
    expect(bodies.some((b) => b.anomaly.id === spike!.id)).toBe(true);
    for (const r of received)
      expect(r.signature).toBe(signPayload('a-very-secret-webhook-key', r.timestamp, r.body));

    // Running again finds nothing new and sends nothing.
    const before = received.length;
    expect(await detector.runOnce(now)).toEqual([]);
    expect(received.length).toBe(before);

    const { headers } = await userWithToken(db.storage, org, 'viewer');
    const res = await app.app.request('/api/anomalies?limit=100', { headers });
    const list = (await res.json()) as { data: Array<{ id: string; notifiedAt: string | null }> };
    const listed = list.data.find((a) => a.id === spike!.id);
    expect(listed?.notifiedAt).not.toBeNull();
  });

  it('lists only the caller organization anomalies', async () => {
    const other = await appWithOrg(db.storage, 'Other');
    const { headers } = await userWithToken(db.storage, other.organizationId, 'admin');
    const res = await other.app.request('/api/anomalies', { headers });
    expect(((await res.json()) as { data: unknown[] }).data).toEqual([]);
  });
});
