import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7 } from '@heed/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { JobRecorder, MAX_STORED_ROW_ERRORS, STALE_MS } from '../src/import/jobs.js';
import { createLogger } from '../src/logger.js';
import { Hub } from '../src/realtime/hub.js';
import { startServer } from '../src/serve.js';
import { createStorage } from '../src/storage/index.js';
import type { PostgresStorage } from '../src/storage/postgres/index.js';
import type { SqliteStorage } from '../src/storage/sqlite/index.js';
import {
  IMPORT_INTERRUPTED,
  type ImportJobPatch,
  type ImportJobProgress,
  type ImportJobStore,
  type Storage,
} from '../src/storage/types.js';
import { appWithOrg, TEST_CONFIG, userWithToken } from './app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from './databases.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers under test
type Json = Record<string, any>;

const JOB_KEYS = [
  'createdAt',
  'error',
  'finishedAt',
  'format',
  'id',
  'profile',
  'progress',
  'status',
  'summary',
];
const START: ImportJobProgress = {
  phase: 'profiling',
  total: 0,
  processed: 0,
  accepted: 0,
  duplicates: 0,
  rejected: 0,
};

/** The storage, with every imports.update call seen (and possibly refused) by `onUpdate` first. */
function watchedStorage(storage: Storage, onUpdate: (patch: ImportJobPatch) => void): Storage {
  const imports: ImportJobStore = {
    create: (job) => storage.imports.create(job),
    get: (org, id) => storage.imports.get(org, id),
    failInterrupted: (ms) => storage.imports.failInterrupted(ms),
    prune: (org, keep) => storage.imports.prune(org, keep),
    update: async (org, id, patch) => {
      onUpdate(patch);
      return storage.imports.update(org, id, patch);
    },
  };
  return new Proxy(storage, {
    get: (target, prop) => (prop === 'imports' ? imports : Reflect.get(target, prop, target)),
  });
}

/** A new running job of `organizationId`, as POST /api/import stores it. */
function newJob(
  storage: Storage,
  organizationId: string,
  progress: ImportJobProgress = START,
  format = 'csv',
) {
  return storage.imports.create({ id: uuidv7(), organizationId, format, progress });
}

/** A second storage object over the same database (another instance, or the same one restarted). */
function reopen(db: TestDatabase): Storage {
  return createStorage({ databaseUrl: db.databaseUrl, sqlitePath: db.sqlitePath });
}

/** Moves a job's heartbeat (updated_at) back by `ms`, past the trigger that keeps it. */
async function age(db: TestDatabase, id: string, ms: number): Promise<void> {
  if (db.dialect === 'sqlite') {
    (db.storage as SqliteStorage).sqlite
      .prepare('UPDATE import_jobs SET updated_at = updated_at - ? WHERE id = ?')
      .run(ms, id);
    return;
  }
  const client = await (db.storage as PostgresStorage).pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica'); // triggers off
    await client.query(
      `UPDATE import_jobs SET updated_at = updated_at - $1::double precision * interval '1 millisecond' WHERE id = $2`,
      [ms, id],
    );
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

function csv(rows: number, badEvery = 0): string {
  return [
    'userId,event,channel,content',
    ...Array.from({ length: rows }, (_, i) =>
      badEvery && i % badEvery === 0 ? `u${i % 7},Chat,fax,bad ${i}` : `u${i % 7},Chat,chat,msg ${i}`,
    ),
  ].join('\n');
}

type Requester = { request: (path: string, init: RequestInit) => Response | Promise<Response> };

async function poll(app: Requester, id: string, headers: Record<string, string>) {
  let job: Json = { status: 'running' };
  for (let i = 0; i < 400 && job.status === 'running'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const res = await app.request(`/api/import/${id}`, { headers });
    expect(res.status).toBe(200);
    job = (await res.json()) as Json;
  }
  return job;
}

describe.each(DIALECTS)('durable import jobs on %s', (dialect) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('shows a job started on one instance, with its summary, from a second instance', async () => {
    const a = await appWithOrg(db.storage, 'First');
    const other = reopen(db);
    try {
      const b = createApp({
        storage: other,
        logger: createLogger('silent'),
        hub: new Hub(),
        config: TEST_CONFIG,
      });
      const analyst = (await userWithToken(db.storage, a.organizationId, 'analyst')).headers;
      // 150 of 450 rows have a bad channel: more row errors than a stored summary keeps.
      const res = await a.app.request('/api/import', {
        method: 'POST',
        headers: { ...analyst, 'content-type': 'text/csv' },
        body: csv(450, 3),
      });
      expect(res.status).toBe(202);
      const started = (await res.json()) as Json;
      expect(Object.keys(started).sort()).toEqual(JOB_KEYS);
      expect(started).toMatchObject({ status: 'running', format: 'csv', finishedAt: null, error: null });
      expect(started.progress).toEqual({ ...START });

      const seen = await poll(b, started.id, analyst);
      expect(Object.keys(seen).sort()).toEqual(JOB_KEYS);
      expect(seen).toMatchObject({
        id: started.id,
        status: 'done',
        createdAt: started.createdAt,
        error: null,
      });
      expect(Date.parse(seen.finishedAt)).toBeGreaterThanOrEqual(Date.parse(seen.createdAt));
      expect(seen.progress).toEqual({
        phase: 'done',
        total: 450,
        processed: 450,
        accepted: 300,
        duplicates: 0,
        rejected: 150,
      });
      expect(seen.summary).toMatchObject({ total: 450, accepted: 300, rejected: 150 });
      expect(seen.summary.errors).toHaveLength(MAX_STORED_ROW_ERRORS);
      expect(seen.summary.errors[0]).toMatchObject({ row: 1, field: expect.any(String) });
      expect(seen.profile.columns.map((c: { name: string }) => c.name)).toEqual([
        'userId',
        'event',
        'channel',
        'content',
      ]);
      // The instance that ran it answers the same.
      expect(await (await a.app.request(`/api/import/${started.id}`, { headers: analyst })).json()).toEqual(
        seen,
      );
    } finally {
      await other.close();
    }
  });

  it('answers 404 for a job of another organization, an unknown id and a malformed id', async () => {
    const a = await appWithOrg(db.storage, 'Owner');
    const b = await appWithOrg(db.storage, 'Stranger');
    const owner = (await userWithToken(db.storage, a.organizationId, 'analyst')).headers;
    const stranger = (await userWithToken(db.storage, b.organizationId, 'admin')).headers;
    const res = await a.app.request('/api/import', {
      method: 'POST',
      headers: { ...owner, 'content-type': 'text/csv' },
      body: csv(20),
    });
    const { id } = (await res.json()) as Json;
    expect((await poll(a.app, id, owner)).status).toBe('done');
    expect((await a.app.request(`/api/import/${id}`, { headers: stranger })).status).toBe(404);
    expect((await b.app.request(`/api/import/${id}`, { headers: stranger })).status).toBe(404);
    expect((await a.app.request(`/api/import/${uuidv7()}`, { headers: owner })).status).toBe(404);
    expect((await a.app.request(`/api/import/not-a-uuid`, { headers: owner })).status).toBe(404);
    // Nor can the storage be asked for it with the other organization.
    expect(await db.storage.imports.get(b.organizationId, id)).toBeNull();
    expect(await db.storage.imports.update(b.organizationId, id, { status: 'failed' })).toBe(false);
    expect((await db.storage.imports.get(a.organizationId, id))?.status).toBe('done');
  });

  it('marks stale running jobs failed at start-up, and leaves fresh ones alone', async () => {
    const a = await appWithOrg(db.storage, 'Restart');
    const analyst = (await userWithToken(db.storage, a.organizationId, 'analyst')).headers;
    const stale = await newJob(db.storage, a.organizationId, {
      ...START,
      phase: 'importing',
      total: 1000,
      processed: 400,
      accepted: 400,
    });
    const fresh = await newJob(db.storage, a.organizationId, START, 'ndjson');
    await age(db, stale.id, STALE_MS + 60_000);

    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
    const dir = mkdtempSync(join(tmpdir(), 'heed-import-jobs-'));
    const config = loadConfig({
      PORT: '0',
      HEED_DATA_DIR: dir,
      LOG_LEVEL: 'silent',
      ANALYSIS: 'off',
      JWT_SECRET: TEST_CONFIG.jwtSecret,
      ENCRYPTION_KEY: TEST_CONFIG.encryptionKey,
      ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
    });
    const server = await startServer(config, { storage: reopen(db), logger });
    try {
      const stored = await db.storage.imports.get(a.organizationId, stale.id);
      expect(stored).toMatchObject({ status: 'failed', error: IMPORT_INTERRUPTED });
      expect(stored?.finishedAt).toBeInstanceOf(Date);
      expect((await db.storage.imports.get(a.organizationId, fresh.id))?.status).toBe('running');
      const swept = lines.map((l) => JSON.parse(l)).filter((l) => l.jobs !== undefined);
      expect(swept).toHaveLength(1);
      expect(swept[0]).toMatchObject({ jobs: 1, msg: expect.stringContaining('interrupted') });
      // Over HTTP, from the restarted instance: the same answer, counts of the interrupted run kept.
      const res = await fetch(`${server.url}/api/import/${stale.id}`, { headers: analyst });
      expect(res.status).toBe(200);
      const job = (await res.json()) as Json;
      expect(job).toMatchObject({ status: 'failed', error: IMPORT_INTERRUPTED, summary: null });
      expect(job.progress).toMatchObject({ processed: 400, total: 1000 });
      expect(job.finishedAt).not.toBeNull();
      // A second sweep finds nothing more to do.
      expect(await db.storage.imports.failInterrupted(STALE_MS)).toBe(0);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps an organization's newest finished jobs and every running one when pruning", async () => {
    const a = await appWithOrg(db.storage, 'Prune A');
    const b = await appWithOrg(db.storage, 'Prune B');
    const make = async (org: string, status: 'running' | 'done' | 'failed') => {
      const job = await newJob(db.storage, org);
      if (status !== 'running')
        await db.storage.imports.update(org, job.id, { status, finishedAt: new Date() });
      return job.id;
    };
    const running = await make(a.organizationId, 'running');
    const finished = [];
    for (const status of ['done', 'failed', 'done', 'done', 'failed'] as const)
      finished.push(await make(a.organizationId, status));
    const other = await make(b.organizationId, 'done');
    expect(await db.storage.imports.prune(a.organizationId, 2)).toBe(3);
    const left = async (org: string, ids: string[]) =>
      (await Promise.all(ids.map((id) => db.storage.imports.get(org, id)))).filter(Boolean).map((j) => j!.id);
    expect(await left(a.organizationId, [running, ...finished])).toEqual([running, ...finished.slice(3)]);
    expect(await left(b.organizationId, [other])).toEqual([other]);
    expect(await db.storage.imports.prune(a.organizationId, 2)).toBe(0);
  });

  it('reports a running job nothing has written for STALE_MS as interrupted before any sweep', async () => {
    const a = await appWithOrg(db.storage, 'Crashed');
    const analyst = (await userWithToken(db.storage, a.organizationId, 'analyst')).headers;
    const job = await newJob(db.storage, a.organizationId);
    expect(
      ((await (await a.app.request(`/api/import/${job.id}`, { headers: analyst })).json()) as Json).status,
    ).toBe('running');
    await age(db, job.id, STALE_MS + 60_000);
    const seen = (await (await a.app.request(`/api/import/${job.id}`, { headers: analyst })).json()) as Json;
    expect(seen).toMatchObject({ status: 'failed', error: IMPORT_INTERRUPTED });
  });

  it('writes progress far less often than it changes, and once per phase change', async () => {
    const patches: ImportJobPatch[] = [];
    const storage = watchedStorage(db.storage, (p) => patches.push(p));
    const { organizationId } = await appWithOrg(db.storage, 'Throttle');
    const app = createApp({ storage, logger: createLogger('silent'), hub: new Hub(), config: TEST_CONFIG });
    const analyst = (await userWithToken(db.storage, organizationId, 'analyst')).headers;
    const rows = 5000; // 50 batches: 50 progress events, plus the 'done' one
    const started = Date.now();
    const res = await app.request('/api/import', {
      method: 'POST',
      headers: { ...analyst, 'content-type': 'text/csv' },
      body: csv(rows),
    });
    const { id } = (await res.json()) as Json;
    const job = await poll(app, id, analyst);
    const elapsed = Date.now() - started;
    expect(job).toMatchObject({ status: 'done', progress: { phase: 'done', processed: rows } });
    // Writes: the profile, the two phase changes, the final state, and at most one per second besides.
    expect(patches.filter((p) => p.profile !== undefined && p.status === undefined)).toHaveLength(1);
    expect(patches.filter((p) => p.status !== undefined)).toHaveLength(1);
    expect(patches.length).toBeLessThanOrEqual(4 + Math.ceil(elapsed / 1000) + 1);
    expect(patches.length).toBeLessThan(rows / 100 / 2);
    expect(patches.some((p) => p.progress?.phase === 'importing')).toBe(true);
    expect(patches.some((p) => p.progress?.phase === 'done' && p.status === undefined)).toBe(true);
  });

  it('throttles by the clock: one write per second of progress, phase changes at once', async () => {
    const patches: ImportJobPatch[] = [];
    const storage = watchedStorage(db.storage, (p) => patches.push(p));
    const { organizationId } = await appWithOrg(db.storage, 'Clock');
    const job = await newJob(storage, organizationId);
    let now = 1_000_000;
    const recorder = new JobRecorder({
      storage,
      logger: createLogger('silent'),
      organizationId,
      jobId: job.id,
      progress: START,
      now: () => now,
      heartbeatMs: 0,
    });
    // Each step waits for the writes it queued: only the clock decides what is written.
    const step = async (processed: number, phase: ImportJobProgress['phase'] = 'importing') => {
      recorder.onProgress({ ...START, phase, total: 10_000, processed, accepted: processed });
      await recorder.settled();
    };
    await step(100); // phase change: written
    for (let i = 2; i <= 60; i++) await step(i * 100); // same instant: nothing more
    now += 999;
    await step(6100); // still within the second
    now += 1;
    await step(6200); // a second since the last write: written
    for (let i = 63; i <= 99; i++) await step(i * 100);
    await step(10_000, 'done'); // phase change: written
    await recorder.finish({ status: 'done', summary: { accepted: 10_000 }, finishedAt: new Date(now) });
    expect(patches.map((p) => p.progress?.processed)).toEqual([100, 6200, 10_000, 10_000]);
    expect(patches.at(-1)).toMatchObject({ status: 'done' });
    const stored = await storage.imports.get(organizationId, job.id);
    expect(stored).toMatchObject({ status: 'done', summary: { accepted: 10_000 }, error: null });
    expect(stored?.progress).toMatchObject({ phase: 'done', processed: 10_000 });
  });

  it('keeps trying the final write through a database blip, then stores it', async () => {
    let refusals = 0;
    const storage = watchedStorage(db.storage, (p) => {
      if (p.status !== undefined && refusals++ < 2) throw new Error('database unavailable (test)');
    });
    const { organizationId } = await appWithOrg(db.storage, 'Blip');
    const job = await newJob(storage, organizationId);
    const recorder = new JobRecorder({
      storage,
      logger: createLogger('silent'),
      organizationId,
      jobId: job.id,
      progress: START,
      heartbeatMs: 0,
      retryBaseMs: 5,
    });
    await recorder.finish({ status: 'done', summary: { accepted: 1 }, finishedAt: new Date() });
    expect(refusals).toBe(3); // two refused, the third stored
    expect(await storage.imports.get(organizationId, job.id)).toMatchObject({ status: 'done' });
  });

  it('stores a job whose file has NULs and lone surrogates in its column names and values', async () => {
    const { app, organizationId } = await appWithOrg(db.storage, 'Odd bytes');
    const analyst = (await userWithToken(db.storage, organizationId, 'analyst')).headers;
    const rows = [
      { userId: 'u1', event: 'Chat', channel: 'chat', content: 'hi', 'note\u0000x': 'a\ud800b' },
      { userId: 'u2', event: 'Chat', channel: 'fax', content: 'bad \u0000', 'note\u0000x': 'c' },
    ];
    const body = rows.map((r) => JSON.stringify(r).replaceAll('\\u', '\\u')).join('\n');
    const res = await app.request('/api/import', {
      method: 'POST',
      headers: { ...analyst, 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(res.status).toBe(202);
    const job = await poll(app, ((await res.json()) as Json).id, analyst);
    expect(job).toMatchObject({ status: 'done', summary: { total: 2, accepted: 1, rejected: 1 } });
    expect(job.profile.columns.map((c: { name: string }) => c.name)).toContain('note\ufffdx');
  });

  it('moves updated_at forward on every write (the heartbeat the stale rule reads)', async () => {
    const { organizationId } = await appWithOrg(db.storage, 'Heartbeat');
    const job = await newJob(db.storage, organizationId);
    await age(db, job.id, 60_000);
    const before = (await db.storage.imports.get(organizationId, job.id))!.updatedAt.getTime();
    await db.storage.imports.update(organizationId, job.id, {}); // a heartbeat: no field changes
    const after = (await db.storage.imports.get(organizationId, job.id))!.updatedAt.getTime();
    expect(after - before).toBeGreaterThanOrEqual(59_000);
  });

  it('stores the final state even when every progress write failed', async () => {
    let refused = 0;
    const storage = watchedStorage(db.storage, (p) => {
      if (p.status === undefined) {
        refused++;
        throw new Error('database unavailable (test)');
      }
    });
    const { organizationId } = await appWithOrg(db.storage, 'Flaky');
    const app = createApp({ storage, logger: createLogger('silent'), hub: new Hub(), config: TEST_CONFIG });
    const analyst = (await userWithToken(db.storage, organizationId, 'analyst')).headers;
    const res = await app.request('/api/import', {
      method: 'POST',
      headers: { ...analyst, 'content-type': 'text/csv' },
      body: csv(250),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as Json;
    // While progress writes fail, the job reads as just created; then the final write lands.
    const job = await poll(app, id, analyst);
    expect(refused).toBeGreaterThanOrEqual(3); // profile, 'importing', 'done'
    expect(job).toMatchObject({
      status: 'done',
      error: null,
      progress: { phase: 'done', processed: 250, accepted: 250 },
      summary: { accepted: 250, rejected: 0 },
    });
    // The profile, whose own write failed, came with the final one.
    expect(job.profile).toMatchObject({ rows: 250 });
    expect(job.finishedAt).not.toBeNull();
  });
});
