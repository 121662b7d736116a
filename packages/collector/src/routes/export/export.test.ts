import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithOrg, userWithToken } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';
import { DAY, exec, row } from '../../../test/insights-seed.js';
import type { InsightStore } from '../../storage/types.js';
import { exportStream } from './stream.js';

setFlagsFromString('--expose-gc'); // a gc() to measure live heap, not garbage

const TRICKY = [
  'comma, inside',
  'a "quoted" word',
  'line one\nline two\r\nline three',
  '=HYPERLINK("http://evil.example")',
  'émoji 🎉 and tabs\there',
];

describe.each(DIALECTS)('GET /api/export on %s', (dialect) => {
  let db: TestDatabase;
  let app: Awaited<ReturnType<typeof appWithOrg>>['app'];
  let org: string;
  let headers: Record<string, string>;
  const N = 2_500;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    const a = await appWithOrg(db.storage, 'E');
    app = a.app;
    org = a.organizationId;
    headers = (await userWithToken(db.storage, org, 'viewer')).headers;
    const base = Date.now() - 100 * DAY;
    // Ten rows share each timestamp: pages must split ties without losing or repeating rows.
    const rows = Array.from({ length: N }, (_, i) =>
      row({
        messageId: `e-${i}`,
        externalId: `u${i % 50}`,
        channel: i % 2 ? 'chat' : 'email',
        timestamp: new Date(base + Math.floor(i / 10) * 1000),
        content: TRICKY[i % TRICKY.length]!,
      }),
    );
    await db.storage.ingest(org, rows);
    if (dialect === 'postgres') {
      // Sub-millisecond timestamps (possible with COPY or SQL writes): the keyset cursor must keep them exact.
      await exec(
        db.storage,
        `UPDATE customer_interactions SET "timestamp" = "timestamp" + interval '0.5 ms'`,
      );
    }
    const other = await db.storage.createOrganization('O', `o-${Math.random()}`);
    await db.storage.ingest(other, [row({ externalId: 'stranger' })]);
  }, 60_000);
  afterAll(() => db.drop());

  it('streams every row exactly once as NDJSON, oldest first, with the filters applied', async () => {
    const res = await app.request('/api/export?format=ndjson', { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(N);
    expect(new Set(lines.map((l) => l.id)).size).toBe(N);
    expect(lines.every((l) => l.externalId !== 'stranger')).toBe(true);
    const ts = lines.map((l) => Date.parse(l.timestamp));
    expect(ts).toEqual([...ts].sort((x, y) => x - y));

    const chat = await app.request('/api/export?format=ndjson&channels=chat', { headers });
    expect((await chat.text()).trim().split('\n')).toHaveLength(N / 2);
  });

  it('records each export in the audit log with its caller and filters', async () => {
    await (await app.request('/api/export?format=csv&channels=chat', { headers })).text();
    const [entry] = await db.storage.audit.list(org, { limit: 1 });
    expect(entry).toMatchObject({ action: 'export.created', resourceType: 'interactions' });
    expect(entry?.userId).toEqual(expect.any(String));
    expect(entry?.details).toMatchObject({ format: 'csv' });
  });

  it('writes CSV that a CSV parser reads back to the same values', async () => {
    const res = await app.request('/api/export?format=csv', { headers });
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="interactions-.*\.csv"/);
    const records = parse(await res.text(), { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(N);
    const contents = new Set(records.map((r) => r.content));
    expect(contents).toEqual(
      new Set(TRICKY.map((t) => (t.startsWith('=') ? `'${t}` : t))), // formulas neutralised
    );
    expect(JSON.parse(records[0]!.metadata!)).toMatchObject({ type: 'track' });
    expect(Object.keys(records[0]!)).toContain('sentiment_score');
  });

  it('reads one page at a time, only as fast as the client consumes (constant memory)', async () => {
    let batches = 0;
    const counting: Pick<InsightStore, 'exportBatch'> = {
      exportBatch: (f, after, limit) => {
        batches++;
        return db.storage.insights.exportBatch(f, after, limit);
      },
    };
    const stream = exportStream(counting, { organizationId: org }, 'ndjson', 100);
    const reader = stream.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 50));
    // One page delivered, at most one more buffered: not the 25 pages of the table.
    expect(batches).toBeLessThanOrEqual(2);
    let rows = 0;
    let chunk = await reader.read();
    while (!chunk.done) {
      rows += new TextDecoder().decode(chunk.value).split('\n').length - 1;
      chunk = await reader.read();
    }
    expect(rows).toBe(N - 100);
    expect(batches).toBe(26); // 25 full pages and the empty one that ends the stream
  });

  it('keeps heap usage flat while exporting a large-ish table', async () => {
    const big = await db.storage.createOrganization('Big', `big-${Math.random()}`);
    await db.storage.ingest(big, [row({ externalId: 'bulk' })]);
    const [c] = (await exec(db.storage, 'SELECT id FROM customers WHERE organization_id = ?', [big])) as {
      id: string;
    }[];
    const ROWS = 60_000;
    const text = `'Customer wrote a fairly long message about the product, the export and the refund ' || n`;
    if (dialect === 'postgres') {
      await exec(
        db.storage,
        `INSERT INTO customer_interactions (organization_id, customer_id, message_id, "timestamp", channel, event_type, content, metadata)
         SELECT ?, ?, 'bulk-' || n, now() - n * interval '1 second', 'web', 'Page View', ${text}, '{"type":"track","properties":{"plan":"pro"}}'
         FROM generate_series(1, ${ROWS}) n`,
        [big, c!.id],
      );
    } else {
      await exec(
        db.storage,
        `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${ROWS})
         INSERT INTO customer_interactions (id, organization_id, customer_id, message_id, "timestamp", channel, event_type, content, metadata)
         SELECT lower(hex(randomblob(16))), ?, ?, 'bulk-' || n, ? - n * 1000, 'web', 'Page View', ${text}, '{"type":"track","properties":{"plan":"pro"}}'
         FROM g`,
        [big, c!.id, Date.now()],
      );
    }
    const gc = runInNewContext('gc') as () => void;
    const reader = exportStream(db.storage.insights, { organizationId: big }, 'ndjson').getReader();
    let bytes = 0;
    let pages = 0;
    const heap: number[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      bytes += r.value.byteLength;
      if (pages++ % 10 === 0) {
        gc();
        heap.push(process.memoryUsage().heapUsed);
      }
    }
    expect(bytes).toBeGreaterThan(24 * 1024 * 1024); // the export is much larger than the growth allowed below
    expect(Math.max(...heap) - heap[0]!).toBeLessThan(8 * 1024 * 1024);
  }, 120_000);
});
