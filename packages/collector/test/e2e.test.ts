import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { type RunningServer, startServer } from '../src/serve.js';
import { createStorage } from '../src/storage/index.js';
import { createOrgWithWriteKey } from '../src/testing.js';
import { event } from './app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from './databases.js';
import { TcpProxy } from './tcp-proxy.js';

const CLI = join(import.meta.dirname, '../dist/cli.js');

/** Runs `heed start` and collects its output until it prints the curl example or a restart line. */
function startCli(
  env: Record<string, string>,
): Promise<{ proc: ChildProcessWithoutNullStreams; out: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'start'], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no start-up output:\n${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/listening on http:\/\/\S+/.test(out) && (out.includes('curl') || !out.includes('First start'))) {
        // Give the first-start block time to print fully.
        setTimeout(() => {
          clearTimeout(timer);
          resolve({ proc, out });
        }, 200);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (d) => {
      out += d.toString();
    });
    proc.on('exit', (code) => reject(new Error(`heed exited with ${code}:\n${out}`)));
  });
}

async function stop(proc: ChildProcessWithoutNullStreams) {
  proc.removeAllListeners('exit');
  const done = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await done;
}

describe.each(DIALECTS)('heed start on %s (real port)', (dialect) => {
  let db: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
    await db.storage.close();
    dataDir = mkdtempSync(join(tmpdir(), 'heed-cli-'));
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the URL, the demo admin and a write key on first start only; curl-style posts are stored once', async () => {
    const env: Record<string, string> = { PORT: '0', HEED_DATA_DIR: dataDir };
    if (db.databaseUrl) env.DATABASE_URL = db.databaseUrl;
    else env.DATABASE_URL = db.sqlitePath;
    const first = await startCli(env);
    try {
      const url = first.out.match(/listening on (http:\/\/\S+)/)?.[1];
      const writeKey = first.out.match(/Write key:\s+(hk_w_\S+)/)?.[1];
      expect(first.out).toMatch(/Admin login:\s+admin@heed\.local \/ \S{12,}/);
      expect(url).toBeDefined();
      expect(writeKey).toBeDefined();
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: 'ready', database: dialect });
      const body = JSON.stringify({ batch: [event({ userId: 'curl-user' })] });
      const send = () =>
        fetch(`${url}/v1/batch`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${writeKey}`, 'Content-Type': 'application/json' },
          body,
        });
      expect(await (await send()).json()).toMatchObject({ success: true, accepted: 1 });
      expect(await (await send()).json()).toMatchObject({ success: true, accepted: 0, duplicates: 1 });
    } finally {
      await stop(first.proc);
    }
    const second = await startCli(env);
    await stop(second.proc);
    expect(second.out).not.toContain('Admin login');
    expect(second.out).not.toContain('hk_w_');
  });
});

describe('database outage (PostgreSQL behind a proxy that is cut)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let server: RunningServer;
  let writeKey: string;
  let organizationId: string;
  beforeAll(async () => {
    db = await freshDatabase('postgres');
    ({ organizationId, writeKey } = await createOrgWithWriteKey(db.storage, 'Outage'));
    proxy = new TcpProxy(Number(new URL(db.databaseUrl!).port || 5432));
    const port = await proxy.start();
    const u = new URL(db.databaseUrl!);
    u.port = String(port);
    const dir = mkdtempSync(join(tmpdir(), 'heed-outage-'));
    const config = loadConfig({
      PORT: '0',
      HEED_DATA_DIR: dir,
      DATABASE_URL: u.toString(),
      LOG_LEVEL: 'silent',
    });
    const storage = createStorage({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath });
    server = await startServer(config, { storage, logger: createLogger('silent') });
  });
  afterAll(async () => {
    await server.close();
    await proxy.cut();
    await db.drop();
  });

  const send = (e: object) =>
    fetch(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${writeKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ batch: [e] }),
    });

  it('answers 503 with Retry-After while the database is down, never hangs, then recovers', async () => {
    const before = event({ userId: 'outage-user' });
    expect((await send(before)).status).toBe(200);
    await proxy.cut();
    const during = event({ userId: 'outage-user' });
    const started = Date.now();
    const res = await send(during);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ code: 'service_unavailable' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await proxy.restore();
    // The client retries the batch the collector refused: stored exactly once.
    expect((await send(during)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const customer = await db.storage.getCustomerByExternalId(organizationId, 'outage-user');
    expect(customer?.interactionCount).toBe(2);
  });
});
