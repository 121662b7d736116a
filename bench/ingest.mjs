// Ingest throughput over real HTTP vs a raw baseline of the same rows, on PostgreSQL and SQLite.
//   node bench/ingest.mjs [--events 50000] [--dialect sqlite|postgres|both]
// The collector runs as its own process (`heed start`), as in production; this process only sends.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createStorage } from '@heed/collector';
import Database from 'better-sqlite3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    dialect: { type: 'string', default: 'both' },
    concurrency: { type: 'string', default: '4' },
    markdown: { type: 'boolean', default: false },
  },
});
const N = Number(args.events);
const BATCH = 100;
const CUSTOMERS = 5000;
const CONCURRENCY = Number(args.concurrency);
const PG_ADMIN = process.env.HEED_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLI = fileURLToPath(new URL('../packages/collector/dist/cli.js', import.meta.url));

const PHRASES = [
  'The new dashboard is fantastic, thanks for shipping it so quickly!',
  'I have been waiting three days for a reply to my refund request. Very disappointed.',
  'Can you tell me how to export my invoices as CSV?',
  'Checkout failed twice with a card error, please look into it',
  'Great support from Maria today, solved my issue in minutes',
  'The mobile app crashes when I open settings on Android 14',
  'Is there a discount for annual plans for nonprofits?',
  'Delivery was late again. Third time this month.',
];
const CHANNELS = ['web', 'mobile', 'email', 'chat', 'phone'];
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
];

/** Deterministic events: text content, realistic context, many customers. */
function makeEvents(n, runId) {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    type: 'track',
    messageId: `${runId}-${i}`,
    timestamp: new Date(now - (n - i) * 1000).toISOString(),
    userId: `customer-${(i * 7919) % CUSTOMERS}`,
    event: i % 3 === 0 ? 'Support Email' : i % 3 === 1 ? 'Chat Message' : 'Review Submitted',
    properties: {
      content: `${PHRASES[i % PHRASES.length]} (ticket ${i})`,
      ticketId: `T-${100000 + i}`,
      priority: ['low', 'normal', 'high'][i % 3],
      tags: ['billing', 'product', 'shipping'].slice(0, 1 + (i % 3)),
    },
    context: {
      channel: CHANNELS[i % CHANNELS.length],
      userAgent: UAS[i % UAS.length],
      locale: 'en-US',
      timezone: 'Europe/Paris',
      page: { path: '/support', url: 'https://example.com/support', title: 'Support' },
      library: { name: 'bench', version: '1.0.0' },
    },
  }));
}

async function freshPg(name) {
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN);
  u.pathname = `/${name}`;
  return u.toString();
}

async function dropPg(name) {
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

function startCollector(env) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'start'], {
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    });
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const url = out.match(/listening on (http:\/\/\S+)/)?.[1];
      const key = out.match(/Write key:\s+(hk_w_\S+)/)?.[1];
      if (url && key) resolve({ proc, url, key });
    });
    proc.stderr.on('data', (d) => (out += d));
    proc.on('exit', (c) => reject(new Error(`collector exited ${c}: ${out}`)));
  });
}

async function sendAll(url, key, events) {
  const bodies = [];
  for (let i = 0; i < events.length; i += BATCH) bodies.push(events.slice(i, i + BATCH));
  let next = 0;
  let accepted = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const batch = bodies[next++];
      const res = await fetch(`${url}/v1/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
      });
      const body = await res.json();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
      accepted += body.accepted;
    }
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const secs = (performance.now() - t) / 1000;
  if (accepted !== events.length) throw new Error(`accepted ${accepted} of ${events.length}`);
  return events.length / secs;
}

/** Customers the baseline rows point at (not timed), and the interaction rows themselves. */
function baselineRows(events, orgId, customerIds) {
  const now = new Date();
  return events.map((e, i) => ({
    id: crypto.randomUUID(),
    organizationId: orgId,
    customerId: customerIds.get(e.userId),
    messageId: e.messageId,
    timestamp: new Date(e.timestamp),
    receivedAt: now,
    channel: e.context.channel,
    eventType: e.event,
    content: e.properties.content,
    metadata: JSON.stringify({
      type: e.type,
      properties: { ...e.properties, content: undefined },
      context: e.context,
    }),
    i,
  }));
}

const pgText = (v) =>
  v === null || v === undefined
    ? '\\N'
    : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');

async function pgBaseline(events) {
  const name = `heed_bench_raw_${process.pid}`;
  const url = await freshPg(name);
  const storage = createStorage({ databaseUrl: url, sqlitePath: '' });
  await storage.migrate();
  const orgId = await storage.createOrganization('Raw', 'raw');
  await storage.close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const customerIds = new Map();
  const users = [...new Set(events.map((e) => e.userId))];
  for (let i = 0; i < users.length; i += 1000) {
    const part = users.slice(i, i + 1000);
    const { rows } = await client.query(
      `INSERT INTO customers (organization_id, external_id, first_seen_at, last_seen_at)
       SELECT $1, u, now(), now() FROM unnest($2::text[]) u RETURNING id, external_id`,
      [orgId, part],
    );
    for (const r of rows) customerIds.set(r.external_id, r.id);
  }
  const rows = baselineRows(events, orgId, customerIds);
  const lines = rows.map(
    (r) =>
      `${[
        r.id,
        r.organizationId,
        r.customerId,
        r.messageId,
        r.timestamp.toISOString(),
        r.receivedAt.toISOString(),
        r.channel,
        r.eventType,
        r.content,
        r.metadata,
      ]
        .map(pgText)
        .join('\t')}\n`,
  );
  const t = performance.now();
  const stream = client.query(
    copyFrom(
      'COPY customer_interactions (id, organization_id, customer_id, message_id, "timestamp", received_at, channel, event_type, content, metadata) FROM STDIN',
    ),
  );
  await pipeline(Readable.from(lines), stream);
  const secs = (performance.now() - t) / 1000;
  await client.end();
  await dropPg(name);
  return events.length / secs;
}

async function sqliteBaseline(events) {
  const dir = mkdtempSync(join(tmpdir(), 'heed-bench-raw-'));
  const file = join(dir, 'raw.db');
  const storage = createStorage({ sqlitePath: file });
  await storage.migrate();
  const orgId = await storage.createOrganization('Raw', 'raw');
  await storage.close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const customerIds = new Map();
  const insCustomer = db.prepare(
    'INSERT INTO customers (id, organization_id, external_id, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (const u of new Set(events.map((e) => e.userId))) {
      const id = crypto.randomUUID();
      insCustomer.run(id, orgId, u, Date.now(), Date.now());
      customerIds.set(u, id);
    }
  })();
  const rows = baselineRows(events, orgId, customerIds);
  const ins = db.prepare(
    `INSERT INTO customer_interactions (id, organization_id, customer_id, message_id, timestamp, received_at, channel, event_type, content, metadata)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertMany = db.transaction((part) => {
    for (const r of part)
      ins.run(
        r.id,
        r.organizationId,
        r.customerId,
        r.messageId,
        r.timestamp.getTime(),
        r.receivedAt.getTime(),
        r.channel,
        r.eventType,
        r.content,
        r.metadata,
      );
  });
  const t = performance.now();
  for (let i = 0; i < rows.length; i += 1000) insertMany(rows.slice(i, i + 1000));
  const secs = (performance.now() - t) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return events.length / secs;
}

async function heedIngest(dialect, events) {
  const dataDir = mkdtempSync(join(tmpdir(), 'heed-bench-'));
  const dbName = `heed_bench_${process.pid}`;
  const env = { HEED_DATA_DIR: dataDir, RATE_LIMIT_IP_PER_MIN: '0' }; // one client IP sends every batch
  if (dialect === 'postgres') env.DATABASE_URL = await freshPg(dbName);
  const { proc, url, key } = await startCollector(env);
  try {
    // Warm-up batch (JIT, connections), not counted.
    await sendAll(url, key, makeEvents(BATCH * CONCURRENCY, `warm-${Date.now()}`));
    return await sendAll(url, key, events);
  } finally {
    proc.removeAllListeners('exit');
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    if (dialect === 'postgres') await dropPg(dbName);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const dialects = args.dialect === 'both' ? ['postgres', 'sqlite'] : [args.dialect];
console.log(
  `Ingest: ${N} events, batches of ${BATCH}, ${CUSTOMERS} customers, ${CONCURRENCY} concurrent requests`,
);
const results = [];
for (const d of dialects) {
  const events = makeEvents(N, `run-${Date.now()}`);
  const ours = await heedIngest(d, events);
  const raw = d === 'postgres' ? await pgBaseline(events) : await sqliteBaseline(events);
  const baseline =
    d === 'postgres' ? 'COPY into the same indexed table' : 'prepared inserts, 1 tx per 1,000 rows';
  results.push({ dialect: d, ours, raw, ratio: ours / raw, baseline });
  console.log(
    `${d.padEnd(8)} heed /v1/batch: ${ours.toFixed(0).padStart(7)} events/s   raw (${baseline}): ${raw.toFixed(0).padStart(7)} events/s   ratio ${((100 * ours) / raw).toFixed(1)}%`,
  );
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(results));
if (args.markdown) {
  // The table of bench/RESULTS.md (bench/run).
  const n = (x) => Math.round(x).toLocaleString('en');
  const name = { postgres: 'PostgreSQL', sqlite: 'SQLite' };
  const raw = { postgres: 'COPY', sqlite: 'prepared inserts' };
  console.log('\n| database | Heed `/v1/batch` | raw baseline | ratio |\n| --- | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(
      `| ${name[r.dialect]} | ${n(r.ours)} events/s | ${n(r.raw)} events/s (${raw[r.dialect]}) | ${(100 * r.ratio).toFixed(1)}% |`,
    );
  }
}
