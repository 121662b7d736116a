import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../src/analysis/webhook.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { type RunningServer, startServer } from '../src/serve.js';
import type { Storage } from '../src/storage/types.js';
import { createOrgWithWriteKey } from '../src/testing.js';
import { event } from './app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from './databases.js';

describe.each(DIALECTS)('alerts from a running collector on %s', (dialect) => {
  let db: TestDatabase;
  let receiver: Server;
  const received: Array<{ signature: string; timestamp: string; body: string }> = [];
  let server: RunningServer;
  let down = false;
  const SECRET = 'alerts-secret-0123456789';

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({
          signature: String(req.headers['x-heed-signature']),
          timestamp: String(req.headers['x-heed-timestamp']),
          body,
        });
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const config = loadConfig({
      PORT: '0',
      HEED_DATA_DIR: mkdtempSync(join(tmpdir(), 'heed-alerts-')),
      DATABASE_URL: db.databaseUrl ?? db.sqlitePath,
      ANALYSIS: 'off',
      RATE_LIMIT_IP_PER_MIN: '0',
      ALERT_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`,
      ALERT_WEBHOOK_SECRET: SECRET,
    });
    // The database "fails" on demand: ingest answers 503 while `down`.
    const storage = new Proxy(db.storage, {
      get(t, p, r) {
        const v = Reflect.get(t, p, r);
        if (p !== 'ingest') return v;
        return (...args: unknown[]) =>
          down
            ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
            : (v as (...a: unknown[]) => Promise<unknown>).apply(t, args);
      },
    }) as Storage;
    server = await startServer(config, { storage, logger: createLogger('silent') });
  });
  afterAll(async () => {
    await server.close();
    receiver.close();
    await db.drop();
  });

  it('an outage fires HeedHighErrorRate once to the signed webhook, and recovery resolves it', async () => {
    const { organizationId, writeKey } = await createOrgWithWriteKey(db.storage, 'Alerts');
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${server.url}/v1/batch`, {
          method: 'POST',
          headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ batch: [event()] }),
        });
        await res.arrayBuffer();
      }
    };
    const alerts = server.alerts!;
    expect(alerts).toBeDefined();
    await alerts.evaluate(); // baseline
    down = true;
    await send(30);
    await alerts.evaluate();
    await send(30); // still down: no second notice
    await alerts.evaluate();
    down = false;
    await new Promise((r) => setTimeout(r, 5200)); // the breaker's cooldown: one trial, then closed
    await send(30);
    await alerts.evaluate();
    const notices = received.map((r) => JSON.parse(r.body) as { alert: string; status: string });
    expect(notices.map((n) => `${n.alert} ${n.status}`)).toEqual([
      'HeedHighErrorRate firing',
      'HeedHighErrorRate resolved',
    ]);
    for (const r of received) expect(r.signature).toBe(signPayload(SECRET, r.timestamp, r.body));
    expect(await db.storage.countInteractions(organizationId)).toBeGreaterThanOrEqual(29);
  }, 30_000);
});
