import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { appWithOrg, TEST_CONFIG, userWithToken } from '../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../test/databases.js';
import { loadConfig } from '../config.js';
import { createPiiCipher } from '../security/pii.js';
import { importCommand } from './cli.js';
import { recordToEvent } from './map.js';
import { importFile } from './run.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers under test
type Json = Record<string, any>;

const ago = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

const CSV = [
  'user_id,event_type,channel,content,timestamp,plan,notes',
  `alice,Support Email,email,"Refund, please: the ""pro"" plan\ncharged twice",${ago(5)},pro,`,
  `bob,Chat Message,chat,Where is my order?,${ago(4)},free,`,
  `bob,Chat Message,chat,Where is my order?,${ago(4)},free,`, // a duplicate row
  `carol,Page View,web,,${ago(3)},,`,
  `dave,Support Email,fax,hello,${ago(2)},pro,vip`, // bad channel
  `,Page View,web,,${ago(1)},free,`, // no user
].join('\n');

describe.each(DIALECTS)('import on %s', (dialect) => {
  let db: TestDatabase;
  let dir: string;
  let org: string;
  const pii = createPiiCipher(TEST_CONFIG.encryptionKey);

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    dir = mkdtempSync(join(tmpdir(), 'heed-import-test-'));
    org = await db.storage.createOrganization('I', `i-${Math.random()}`);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('profiles a CSV, imports it with per-row errors, and stores nothing twice on a re-run', async () => {
    const path = join(dir, 'a.csv');
    writeFileSync(path, CSV);
    const progress: number[] = [];
    const run = () =>
      importFile({
        path,
        format: 'csv',
        organizationId: org,
        deps: { storage: db.storage, pii },
        onProgress: (p) => progress.push(p.processed),
      });
    const first = await run();
    expect(first.profile.rows).toBe(6);
    expect(first.profile.duplicateRows).toBe(1);
    const col = (n: string) => first.profile.columns.find((c) => c.name === n)!;
    expect(col('timestamp').type).toBe('date');
    expect(col('content')).toMatchObject({ type: 'string', nullPercent: 33.3, mostlyNull: false });
    expect(col('notes')).toMatchObject({ nulls: 5, mostlyNull: true });
    expect(first).toMatchObject({ total: 6, processed: 6, accepted: 3, duplicates: 1, rejected: 2 });
    expect(first.errors).toEqual([
      { row: 5, field: 'context.channel', message: expect.stringContaining('must be one of') },
      { row: 6, field: 'userId', message: 'userId or anonymousId is required' },
    ]);
    expect(progress.at(-1)).toBe(6);

    const stored = await db.storage.listInteractions({ organizationId: org });
    const alice = stored.find((i) => i.eventType === 'Support Email')!;
    expect(alice.content).toBe('Refund, please: the "pro" plan\ncharged twice');
    expect(alice.channel).toBe('email');
    expect((alice.metadata.properties as Record<string, unknown>).plan).toBe('pro');

    const again = await run();
    expect(again).toMatchObject({ accepted: 0, duplicates: 4, rejected: 2 });
    expect(await db.storage.countInteractions(org)).toBe(3);
  });

  it('imports NDJSON (reporting unreadable lines) and JSON arrays in batches of 100', async () => {
    const lines = Array.from({ length: 250 }, (_, i) =>
      JSON.stringify({
        userId: `n${i % 7}`,
        event: 'Review',
        channel: 'web',
        timestamp: ago(i / 10 + 1),
        messageId: `nd-${i}`,
      }),
    );
    lines.splice(10, 0, '{not json');
    writeFileSync(join(dir, 'b.ndjson'), lines.join('\n'));
    const batches: number[] = [];
    const nd = await importFile({
      path: join(dir, 'b.ndjson'),
      format: 'ndjson',
      organizationId: org,
      deps: { storage: db.storage, pii },
      onProgress: (p) => batches.push(p.processed),
    });
    expect(nd).toMatchObject({ accepted: 250, rejected: 1 });
    expect(nd.errors).toEqual([{ row: 11, field: '', message: 'is not valid JSON' }]);
    expect(batches.slice(0, 3)).toEqual([101, 201, 251]); // the bad line, then 100 rows per batch

    const arr = Array.from({ length: 120 }, (_, i) => ({
      external_id: `j${i}`,
      event: 'Import',
      timestamp: ago(2),
    }));
    writeFileSync(join(dir, 'c.json'), JSON.stringify(arr));
    const js = await importFile({
      path: join(dir, 'c.json'),
      format: 'json',
      organizationId: org,
      deps: { storage: db.storage, pii },
    });
    expect(js).toMatchObject({ total: 120, accepted: 120, rejected: 0 });
  });

  it('imports Parquet, one row group at a time', async () => {
    const n = 250;
    const path = join(dir, 'd.parquet');
    parquetWriteFile({
      filename: path,
      rowGroupSize: 100,
      columnData: [
        { name: 'user_id', data: Array.from({ length: n }, (_, i) => `pq${i % 5}`), type: 'STRING' },
        { name: 'event_type', data: Array.from({ length: n }, () => 'Chat Message'), type: 'STRING' },
        { name: 'channel', data: Array.from({ length: n }, () => 'chat'), type: 'STRING' },
        {
          name: 'content',
          data: Array.from({ length: n }, (_, i) => `parquet message ${i}`),
          type: 'STRING',
        },
        {
          name: 'timestamp',
          data: Array.from({ length: n }, (_, i) => new Date(Date.now() - (i + 1) * 60_000)),
          type: 'TIMESTAMP',
        },
        { name: 'stars', data: Array.from({ length: n }, (_, i) => BigInt(i % 5)), type: 'INT64' },
      ],
    });
    const summary = await importFile({
      path,
      format: 'parquet',
      organizationId: org,
      deps: { storage: db.storage, pii },
    });
    expect(summary).toMatchObject({ total: n, accepted: n, rejected: 0 });
    const col = (name: string) => summary.profile.columns.find((c) => c.name === name);
    expect(col('timestamp')?.type).toBe('date');
    expect(col('stars')?.type).toBe('number');
    const stored = await db.storage.listInteractions({ organizationId: org, limit: 1000 });
    const one = stored.find((i) => i.content === 'parquet message 7');
    expect(one?.channel).toBe('chat');
    expect((one!.metadata.properties as Record<string, unknown>).stars).toBe(2);
  });

  it('runs as `heed import FILE` with a profile, a summary and exit code 1 on rejected rows', async () => {
    const path = join(dir, 'cli.csv');
    writeFileSync(path, CSV.replace(/(alice|bob|carol)/g, '$1-cli'));
    const config = loadConfig({
      HEED_DATA_DIR: dir,
      ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : { DATABASE_URL: db.sqlitePath }),
      JWT_SECRET: TEST_CONFIG.jwtSecret,
      ENCRYPTION_KEY: TEST_CONFIG.encryptionKey,
    });
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await importCommand([path, '--org', org], config);
      expect(code).toBe(1);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    const text = out.join('\n');
    expect(text).toMatch(/Rows: 6 {3}duplicate rows: 1/);
    expect(text).toMatch(/notes\s+string\s+83\.3 {2}<- over 50% null/);
    expect(text).toContain('3 stored, 1 duplicates, 2 rejected');
    expect(text).toContain('row 6: userId userId or anonymousId is required');
  });

  it('imports through POST /api/import and reports progress at GET /api/import/:id', async () => {
    const a = await appWithOrg(db.storage, 'Http');
    const analyst = (await userWithToken(db.storage, a.organizationId, 'analyst')).headers;
    const viewer = (await userWithToken(db.storage, a.organizationId, 'viewer')).headers;
    const csv = [
      'userId,event,channel,content',
      ...Array.from({ length: 330 }, (_, i) => `u${i % 9},Chat,chat,msg ${i}`),
    ].join('\n');
    const post = (headers: Record<string, string>) =>
      a.app.request('/api/import', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'text/csv' },
        body: csv,
      });
    expect((await post(viewer)).status).toBe(403);
    const res = await post(analyst);
    expect(res.status).toBe(202);
    const job = (await res.json()) as { id: string; status: string };
    let status: Json = job;
    for (let i = 0; i < 100 && status.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await (await a.app.request(`/api/import/${job.id}`, { headers: analyst })).json()) as Json;
    }
    expect(status.status).toBe('done');
    expect(status.progress).toMatchObject({ phase: 'done', total: 330, processed: 330 });
    expect(status.summary).toMatchObject({ accepted: 330, rejected: 0 });
    expect(status.profile.columns.map((c: { name: string }) => c.name)).toEqual([
      'userId',
      'event',
      'channel',
      'content',
    ]);
    expect(await db.storage.countInteractions(a.organizationId)).toBe(330);
    // Another organization cannot see the job.
    const other = (await userWithToken(db.storage, org, 'admin')).headers;
    expect((await a.app.request(`/api/import/${job.id}`, { headers: other })).status).toBe(404);
    expect((await a.app.request('/api/import', { method: 'POST', headers: analyst, body: 'x' })).status).toBe(
      400,
    );
    // A small JSON array with its own content type.
    const small = await a.app.request('/api/import', {
      method: 'POST',
      headers: { ...analyst, 'content-type': 'application/json' },
      body: JSON.stringify([
        { userId: 'json-1', event: 'Signed Up' },
        { userId: 'json-2', event: 'Signed Up' },
      ]),
    });
    expect(small.status).toBe(202);
    const smallJob = (await small.json()) as { id: string };
    let smallStatus: Json = { status: 'running' };
    for (let i = 0; i < 100 && smallStatus.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      smallStatus = (await (
        await a.app.request(`/api/import/${smallJob.id}`, { headers: analyst })
      ).json()) as Json;
    }
    expect(smallStatus.summary).toMatchObject({ accepted: 2 });
  });
});

describe('recordToEvent', () => {
  it('maps known columns, keeps the rest as properties, and derives a stable messageId', () => {
    const rec = {
      External_ID: 'x1',
      event_type: 'Review',
      channel: 'email',
      text: 'Great',
      stars: '5',
      segment: 'pro',
    };
    const e = recordToEvent(rec);
    expect(e).toMatchObject({
      type: 'track',
      userId: 'x1',
      event: 'Review',
      properties: { content: 'Great', stars: '5' },
      context: { channel: 'email', traits: { segment: 'pro' } },
    });
    expect(e.messageId).toBe(recordToEvent({ ...rec }).messageId);
    expect(e.messageId).not.toBe(recordToEvent({ ...rec, stars: '4' }).messageId);
    expect(recordToEvent({ userId: 'a', event: 'E', timestamp: 1_700_000_000 }).timestamp).toBe(
      '2023-11-14T22:13:20.000Z',
    );
  });
});
