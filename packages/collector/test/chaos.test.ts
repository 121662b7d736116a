import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { type RunningServer, startServer } from '../src/serve.js';
import { createStorage } from '../src/storage/index.js';
import { createOrgWithWriteKey } from '../src/testing.js';
import { DIALECTS, freshDatabase, type TestDatabase } from './databases.js';
import { freePort, type HeedProcess, heedEnv, startCollectorProcess, stopProcess } from './processes.js';
import { TcpProxy } from './tcp-proxy.js';

/** The Node SDK as users install it (its built package; a workspace dependency would be a cycle). */
interface HeedClient {
  track(msg: {
    userId: string;
    event: string;
    messageId?: string;
    channel?: string;
    content?: string;
    properties?: Record<string, unknown>;
  }): Promise<void>;
  on(event: 'delivered' | 'dropped' | 'error', fn: (info: unknown) => void): void;
  shutdown(timeoutMs?: number): Promise<{ undelivered: number }>;
}
const sdkNode = (): Promise<{ createHeed(settings: Record<string, unknown>): HeedClient }> =>
  import(pathToFileURL(join(import.meta.dirname, '../../sdk-node/dist/index.js')).href);

const EVENTS = 50_000;

describe.each(DIALECTS)('chaos on %s: kill -9 of `heed start` while the Node SDK sends %#', (dialect) => {
  let db: TestDatabase;
  let collector: HeedProcess | undefined;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
  });
  afterAll(async () => {
    if (collector) await stopProcess(collector, 'SIGKILL');
    await db.drop();
  });

  it(`every one of ${EVENTS.toLocaleString('en')} events is stored exactly once across the crash and restart`, async () => {
    const { organizationId, writeKey } = await createOrgWithWriteKey(db.storage);
    const port = await freePort();
    const env = heedEnv(db, { ANALYSIS: 'off' });
    collector = await startCollectorProcess(env, port);
    const { createHeed } = await sdkNode();
    const heed = createHeed({
      writeKey,
      host: `http://127.0.0.1:${port}`,
      flushAt: 100,
      flushInterval: 50,
      maxQueueSize: 5_000,
      overflow: 'backpressure', // track() waits for room instead of dropping
      maxRetries: 1_000,
      retryBaseMs: 20,
      retryCapMs: 500,
    });
    const dropped: unknown[] = [];
    heed.on('dropped', (d) => dropped.push(d));
    const started = Date.now();
    let killedAt = -1;
    for (let i = 0; i < EVENTS; i++) {
      await heed.track({
        userId: `u-${i % 500}`,
        event: 'Order Completed',
        messageId: `chaos-${dialect}-${i}`,
        channel: 'web',
        properties: { i },
      });
      if (i === 20_000) {
        // A crash in the middle of the stream: requests in flight, batches half-sent.
        killedAt = await db.storage.countInteractions(organizationId);
        await stopProcess(collector, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 300));
        collector = await startCollectorProcess(env, port);
      }
    }
    const { undelivered } = await heed.shutdown(60_000);
    const seconds = (Date.now() - started) / 1000;
    expect(undelivered).toBe(0);
    expect(dropped).toEqual([]);
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(EVENTS);
    // Exactly once: (organization, messageId) is unique, so the count is the number of distinct events.
    expect(await db.storage.countInteractions(organizationId)).toBe(EVENTS);
    console.log(
      `${dialect}: ${EVENTS} events in ${seconds.toFixed(1)} s across a kill -9 at ${killedAt} stored`,
    );
  }, 120_000);
});

describe('chaos: PostgreSQL "restart" (connections cut, refused, then accepted) in the middle of a stream', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let server: RunningServer;
  let writeKey: string;
  let organizationId: string;
  beforeAll(async () => {
    db = await freshDatabase('postgres');
    ({ organizationId, writeKey } = await createOrgWithWriteKey(db.storage));
    proxy = new TcpProxy(Number(new URL(db.databaseUrl!).port || 5432));
    const u = new URL(db.databaseUrl!);
    u.port = String(await proxy.start());
    const config = loadConfig({
      PORT: '0',
      HEED_DATA_DIR: mkdtempSync(join(tmpdir(), 'heed-chaos-')),
      DATABASE_URL: u.toString(),
      LOG_LEVEL: 'silent',
      ANALYSIS: 'off',
      RATE_LIMIT_IP_PER_MIN: '0',
    });
    const storage = createStorage({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath });
    server = await startServer(config, { storage, logger: createLogger('silent') });
  });
  afterAll(async () => {
    await server.close();
    await proxy.cut();
    await db.drop();
  });

  it('answers 503 with Retry-After at once while it is down (no request hangs), then stores every event exactly once', async () => {
    const BATCHES = 60;
    const statuses: number[] = [];
    let slowest = 0;
    let retryAfterSeen = false;
    // A minimal retrying sender: 2 batches in flight; retries on 503 and network errors.
    const send = async (b: number) => {
      const body = JSON.stringify({
        batch: Array.from({ length: 100 }, (_, i) => ({
          type: 'track',
          messageId: `pg-${b}-${i}`,
          userId: `u-${i % 20}`,
          event: 'Chat Message',
          properties: { content: `message ${b}/${i}` },
          context: { channel: 'chat' },
        })),
      });
      for (;;) {
        const t = performance.now();
        const res = await fetch(`${server.url}/v1/batch`, {
          method: 'POST',
          headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(20_000),
        });
        await res.arrayBuffer();
        slowest = Math.max(slowest, performance.now() - t);
        statuses.push(res.status);
        if (res.status === 200) return;
        expect(res.status).toBe(503);
        if (res.headers.get('retry-after')) retryAfterSeen = true;
        // Retry-After is honoured by the SDKs; the test caps it to stay short.
        await new Promise((r) => setTimeout(r, Math.min(Number(res.headers.get('retry-after')) * 1000, 250)));
      }
    };
    let next = 0;
    const worker = async () => {
      while (next < BATCHES) await send(next++);
    };
    const outage = (async () => {
      while (statuses.filter((s) => s === 200).length < 10) await new Promise((r) => setTimeout(r, 10));
      await proxy.cut(); // the server goes away: open connections drop, new ones are refused
      await new Promise((r) => setTimeout(r, 2000));
      await proxy.restore(); // and comes back
    })();
    await Promise.all([worker(), worker(), outage]);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(retryAfterSeen).toBe(true);
    expect(slowest).toBeLessThan(5000); // fail fast: the pool's connect timeout is 3 s, the breaker answers at once
    expect(await db.storage.countInteractions(organizationId)).toBe(BATCHES * 100);
    // The breaker tells operators what happened.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/heed_circuit_rejections_total\{breaker="database"\} [1-9]/);
    expect(metrics).toMatch(/heed_circuit_state\{breaker="database"\} 0/);
  }, 60_000);
});
