import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSource } from 'eventsource';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { type RunningServer, startServer } from '../src/serve.js';
import { createStorage } from '../src/storage/index.js';
import type { Storage } from '../src/storage/types.js';
import { createOrgWithWriteKey } from '../src/testing.js';
import { userWithToken } from './app.js';

/** A collector on a real port over the given database (own connections), with test settings. */
export async function liveServer(
  db: { databaseUrl: string | undefined; sqlitePath: string },
  env: Record<string, string> = {},
): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'heed-live-'));
  const config = loadConfig({
    HEED_DATA_DIR: dir,
    PORT: '0',
    LOG_LEVEL: 'silent',
    JWT_SECRET: 'test-secret-test-secret-test-secret-0000',
    ENCRYPTION_KEY: '0'.repeat(64),
    ANALYSIS: 'off',
    RATE_LIMIT_IP_PER_MIN: '0',
    RATE_LIMIT_USER_PER_MIN: '0',
    ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : { DATABASE_URL: db.sqlitePath }),
    ...env,
  });
  const storage = createStorage({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath });
  const server = await startServer(config, { logger: createLogger('silent'), storage });
  return {
    ...server,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An organization with a write key and an admin's access token. */
export async function liveOrg(storage: Storage, name = 'Acme') {
  const { organizationId, writeKey } = await createOrgWithWriteKey(storage, name);
  const { token } = await userWithToken(storage, organizationId, 'viewer');
  return { organizationId, writeKey, token };
}

export interface Received {
  type: string;
  /** SSE message id (the last event id of the message). */
  lastEventId: string;
  events: Array<{ id: string; data: Record<string, unknown> }>;
}

const TYPES = ['interaction.created', 'sentiment.analyzed', 'anomaly.detected', 'resync'];

/** An `eventsource` client that records every message; `until` waits for a condition. */
export function connect(url: string, opts: { token?: string; lastEventId?: string } = {}) {
  const messages: Received[] = [];
  const waiters = new Set<() => void>();
  const es = new EventSource(url, {
    fetch: (input, init) =>
      fetch(input, {
        ...init,
        headers: {
          ...init.headers,
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(opts.lastEventId ? { 'last-event-id': opts.lastEventId } : {}),
        },
      }),
  });
  for (const type of TYPES) {
    es.addEventListener(type, (e) => {
      messages.push({
        type,
        lastEventId: e.lastEventId,
        events: type === 'resync' ? [] : JSON.parse(e.data),
      });
      for (const w of waiters) w();
    });
  }
  const opened = new Promise<void>((resolve, reject) => {
    es.onopen = () => resolve();
    es.onerror = (e) => reject(new Error(`stream error ${e.code ?? ''} ${e.message ?? ''}`));
  });
  return {
    es,
    messages,
    opened,
    events: () => messages.flatMap((m) => m.events.map((e) => ({ type: m.type, ...e }))),
    until(check: () => boolean, timeoutMs = 3000): Promise<void> {
      if (check()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`timed out; got ${JSON.stringify(messages).slice(0, 500)}`));
        }, timeoutMs);
        const w = () => {
          if (!check()) return;
          clearTimeout(timer);
          waiters.delete(w);
          resolve();
        };
        waiters.add(w);
      });
    },
    close: () => es.close(),
  };
}

export function batchBody(n: number, over: Record<string, unknown> = {}) {
  return JSON.stringify({
    batch: Array.from({ length: n }, (_, i) => ({
      type: 'track',
      messageId: `m-${Date.now()}-${Math.random()}-${i}`,
      userId: 'user-1',
      event: 'Chat Message',
      properties: { content: `message ${i}` },
      context: { channel: 'chat' },
      ...over,
    })),
  });
}

export async function ingest(url: string, writeKey: string, body: string): Promise<void> {
  const res = await fetch(`${url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
    body,
  });
  if (res.status !== 200) throw new Error(`ingest: ${res.status} ${await res.text()}`);
}
