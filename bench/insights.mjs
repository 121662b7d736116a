// Insights API benchmark: 1M interactions over 5,000 customers and 2 organizations in PostgreSQL,
// then p50/p95/p99 of the query endpoints over real HTTP to a collector process (`heed start`),
// uncached (every request a different query) and cached (the same query repeated).
//
//   pnpm build && node bench/insights.mjs [--rows 1000000] [--requests 200]
//
// Needs PostgreSQL at 127.0.0.1:5432 (HEED_TEST_PG_URL). The benchmark database is dropped at the end,
// also on failure or Ctrl-C.
import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '200' },
    'import-rows': { type: 'string', default: '1000000' },
  },
});
const ROWS = Number(args.rows);
const REQUESTS = Number(args.requests);
const IMPORT_ROWS = Number(args['import-rows']);
const CUSTOMERS = 5000;
const PG_ADMIN = process.env.HEED_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLI = fileURLToPath(new URL('../packages/collector/dist/cli.js', import.meta.url));
const DB = `heed_bench_insights_${process.pid}`;
const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-00';
const DAY = 86_400_000;

const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

async function admin(sql) {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function dbUrl() {
  const u = new URL(PG_ADMIN);
  u.pathname = `/${DB}`;
  return u.toString();
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function run(cmd, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...cmd], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`heed ${cmd.join(' ')} exited ${code}: ${out}`)),
    );
  });
}

function startCollector(env) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, 'start'], { env: { ...process.env, ...env } });
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const url = out.match(/listening on (http:\/\/\S+)/)?.[1];
      if (url) resolve({ proc, url });
    });
    proc.stderr.on('data', (d) => (out += d));
    proc.on('exit', (c) => reject(new Error(`collector exited ${c}: ${out}`)));
  });
}

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** An HS256 access token as the collector signs them (iss heed, aud heed-api). */
function accessToken(userId, organizationId, role) {
  const now = Math.floor(Date.now() / 1000);
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64({
    org: organizationId,
    role,
    sub: userId,
    iss: 'heed',
    aud: 'heed-api',
    iat: now,
    exp: now + 3600,
    jti: randomUUID(),
  });
  const sig = createHmac('sha256', JWT_SECRET).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

const PHRASES = [
  'the refund is still not here',
  'delivery was late again',
  'love the new dashboard',
  'the app crashes when I log in',
  'great support, thank you',
  'billing charged me twice',
  'export to csv is broken',
  'how do I reset my password',
  'shipping took two weeks',
  'the checkout page is slow',
  'fantastic product, highly recommend',
  'cancel my subscription please',
];

/** Seeds organizations, customers and interactions in SQL (not through HTTP): indexes rebuilt after the load. */
async function seed(client) {
  await client.query("SET maintenance_work_mem = '512MB'");
  await client.query('SELECT setseed(0.42)');
  const { rows: orgs } = await client.query(
    `INSERT INTO organizations (name, slug) VALUES ('Bench A', 'bench-a'), ('Bench B', 'bench-b') RETURNING id`,
  );
  const orgIds = orgs.map((o) => o.id);
  await client.query(
    `INSERT INTO customers (organization_id, external_id, segment, first_seen_at, last_seen_at, interaction_count)
     SELECT o.id, 'cust-' || g, (ARRAY['free', 'pro', 'enterprise', 'trial'])[1 + g % 4],
            now() - interval '365 days', now(), $2::int / $3::int
     FROM generate_series(1, $3::int / 2) g, unnest($1::uuid[]) o(id)`,
    [orgIds, ROWS, CUSTOMERS],
  );
  // Secondary indexes are dropped for the load and rebuilt afterwards (the fast path for bulk loads).
  const { rows: idx } = await client.query(
    `SELECT indexname, indexdef FROM pg_indexes
     WHERE tablename = 'customer_interactions' AND indexname NOT IN (
       SELECT conname FROM pg_constraint WHERE conrelid = 'customer_interactions'::regclass)`,
  );
  for (const i of idx) await client.query(`DROP INDEX ${i.indexname}`);
  const t = performance.now();
  for (const org of orgIds) {
    await client.query(
      `INSERT INTO customer_interactions
         (organization_id, customer_id, message_id, "timestamp", received_at, channel, event_type, content,
          metadata, sentiment, sentiment_score, sentiment_confidence, processed_at)
       SELECT $1, ids[1 + (g * 7 + (random() * 3)::int) % array_length(ids, 1)], 'bench-' || g, ts, ts, ch,
         CASE ch WHEN 'email' THEN 'Support Email' WHEN 'chat' THEN 'Chat Message' WHEN 'phone' THEN 'Call'
           ELSE (ARRAY['Page View', 'Button Clicked', 'Signed In', 'Checkout Started'])[1 + g % 4] END,
         CASE WHEN has_text THEN ($3::text[])[1 + (random() * 11)::int] || ', ' || ($3::text[])[1 + (random() * 11)::int] END,
         jsonb_build_object('type', 'track', 'properties', jsonb_build_object('plan', (ARRAY['free', 'pro'])[1 + g % 2]),
           'context', jsonb_build_object('channel', ch), 'device', jsonb_build_object('type', (ARRAY['desktop', 'mobile'])[1 + g % 2])),
         CASE WHEN has_text THEN jsonb_build_object('label', CASE WHEN s > 0.2 THEN 'positive' WHEN s < -0.2 THEN 'negative' ELSE 'neutral' END,
           'positive', greatest(s, 0), 'negative', greatest(-s, 0), 'neutral', 1 - abs(s)) END,
         CASE WHEN has_text THEN s END,
         CASE WHEN has_text THEN 0.5 + random() / 2 END,
         CASE WHEN has_text THEN ts END
       FROM (
         SELECT g, now() - random() * interval '365 days' AS ts,
           (ARRAY['web', 'web', 'web', 'mobile', 'mobile', 'email', 'chat', 'chat', 'email', 'phone'])[1 + g % 10] AS ch,
           g % 10 >= 5 AS has_text, round((random() * 2 - 1)::numeric, 3)::float8 AS s
         FROM generate_series(1, $2::int) g
       ) r, (SELECT array_agg(id ORDER BY external_id) AS ids FROM customers WHERE organization_id = $1) c`,
      [org, ROWS / 2, PHRASES],
    );
  }
  const loadS = (performance.now() - t) / 1000;
  const t2 = performance.now();
  for (const i of idx) await client.query(i.indexdef);
  const indexS = (performance.now() - t2) / 1000;
  const t3 = performance.now();
  await client.query('VACUUM ANALYZE customer_interactions');
  await client.query('VACUUM ANALYZE customers');
  const vacuumS = (performance.now() - t3) / 1000;
  const tokens = [];
  for (const org of orgIds) {
    const { rows } = await client.query(
      `INSERT INTO users (organization_id, email, password_hash, role) VALUES ($1, $2, 'x', 'analyst') RETURNING id`,
      [org, `bench-${org}@example.com`],
    );
    tokens.push(accessToken(rows[0].id, org, 'analyst'));
  }
  return { orgIds, tokens, loadS, indexS, vacuumS };
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timed(url, token) {
  const t = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.text();
  const ms = performance.now() - t;
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${body.slice(0, 300)}`);
  return ms;
}

/** Latencies of `n` sequential requests; `make(i)` gives the path of the i-th one. */
async function measure(base, tokens, make, n) {
  const ms = [];
  for (let i = 0; i < n; i++) ms.push(await timed(base + make(i), tokens[i % tokens.length]));
  ms.sort((a, b) => a - b);
  return { p50: pct(ms, 50), p95: pct(ms, 95), p99: pct(ms, 99) };
}

async function main() {
  const started = performance.now();
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB}`);
  let collector;
  const cleanup = async () => {
    collector?.proc.kill('SIGTERM');
    await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch((e) => log('drop failed', e.message));
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const env = {
      DATABASE_URL: dbUrl(),
      JWT_SECRET,
      ENCRYPTION_KEY: 'ab'.repeat(32),
      LOG_LEVEL: 'warn',
      ANALYSIS: 'off',
      RATE_LIMIT_IP_PER_MIN: '0',
      RATE_LIMIT_USER_PER_MIN: '0',
      HEED_DATA_DIR: `/tmp/${DB}`,
    };
    await run(['migrate'], env);
    const client = new pg.Client({ connectionString: dbUrl() });
    await client.connect();
    log(`seeding ${ROWS} interactions over ${CUSTOMERS} customers and 2 organizations`);
    const s = await seed(client);
    const { rows: sizeRows } = await client.query(
      "SELECT pg_size_pretty(pg_total_relation_size('customer_interactions')) AS size, count(*) AS n FROM customer_interactions",
    );
    await client.end();
    log(
      `seeded ${sizeRows[0].n} rows (${sizeRows[0].size}): load ${s.loadS.toFixed(1)} s, indexes ${s.indexS.toFixed(1)} s, vacuum ${s.vacuumS.toFixed(1)} s`,
    );

    collector = await startCollector({ ...env, PORT: String(await freePort()), HOST: '127.0.0.1' });
    const base = collector.url;
    // The load marked every day of the year for the daily trend rollup (migration 0008); the collector's
    // background refresher builds it. Measure once it has caught up with the closed days, as on a
    // running system (answers are the same either way: marked days are read from raw rows).
    const tr = performance.now();
    const rc = new pg.Client({ connectionString: dbUrl() });
    await rc.connect();
    let rollupDays = 0;
    for (;;) {
      const { rows } = await rc.query(
        `SELECT (SELECT count(*) FROM interaction_rollup_dirty
                  WHERE day < date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AS pending,
                (SELECT count(DISTINCT (organization_id, day)) FROM interaction_daily_rollups) AS done`,
      );
      rollupDays = Number(rows[0].done);
      if (Number(rows[0].pending) === 0) break;
      if (performance.now() - tr > 600_000)
        throw new Error('the rollup refresher did not catch up in 10 minutes');
      await new Promise((r) => setTimeout(r, 200));
    }
    await rc.end();
    const rollupS = (performance.now() - tr) / 1000;
    log(
      `rollup: ${rollupDays} organization-days built by the collector's refresher in ${rollupS.toFixed(1)} s`,
    );
    const now = Date.now();
    const iso = (t) => encodeURIComponent(new Date(t).toISOString());
    // `to` moves by i ms per request: a different query (and cache key) every time, same data.
    const to = (i) => iso(now + 1000 + i);
    const scenarios = [
      ['insights: last 30 days, newest first', (i) => `/api/insights?to=${to(i)}`],
      [
        'insights: email+chat, sentiment >= 0.3, by sentiment',
        (i) => `/api/insights?to=${to(i)}&channels=email,chat&minSentiment=0.3&sortBy=sentiment`,
      ],
      [
        'insights: segment pro + event type, 7 days',
        (i) => `/api/insights?from=${iso(now - 7 * DAY)}&to=${to(i)}&segments=pro&eventType=Support%20Email`,
      ],
      [
        'insights: page 40 of 30 days, by channel',
        (i) => `/api/insights?to=${to(i)}&page=40&sortBy=channel&order=asc`,
      ],
      [
        'sentiment-trends: day x channel, 30 days',
        (i) => `/api/insights/sentiment-trends?to=${to(i)}&groupBy=day&splitBy=channel`,
      ],
      [
        'sentiment-trends: week x segment, 90 days',
        (i) =>
          `/api/insights/sentiment-trends?from=${iso(now - 90 * DAY)}&to=${to(i)}&groupBy=week&splitBy=segment`,
      ],
      ['metrics: 30 days', (i) => `/api/insights/metrics?to=${to(i)}`],
      ['search: "refund", 30 days', (i) => `/api/interactions/search?q=refund&to=${to(i)}`],
      ['search: "delivery late", 30 days', (i) => `/api/interactions/search?q=delivery%20late&to=${to(i)}`],
    ];
    const results = [];
    for (const [name, make] of scenarios) {
      await measure(base, s.tokens, (i) => make(-1 - i), 10); // warm-up (PostgreSQL buffers, JIT)
      const uncached = await measure(base, s.tokens, make, REQUESTS);
      const fixed = make(-100);
      await measure(base, s.tokens, () => fixed, s.tokens.length);
      const cached = await measure(base, s.tokens, () => fixed, REQUESTS);
      results.push({ name, uncached, cached });
      log(name, `uncached p95 ${uncached.p95.toFixed(1)} ms, cached p95 ${cached.p95.toFixed(1)} ms`);
    }

    // Export: a whole organization (half the table) as CSV, streamed; the collector's RSS before and
    // its peak during the export (the high-water mark is reset first).
    const rss = (field) =>
      Number(
        readFileSync(`/proc/${collector.proc.pid}/status`, 'utf8').match(
          new RegExp(`${field}:\\s+(\\d+)`),
        )?.[1] ?? 0,
      ) / 1024;
    writeFileSync(`/proc/${collector.proc.pid}/clear_refs`, '5');
    const rssBefore = rss('VmRSS');
    const te = performance.now();
    const res = await fetch(`${base}/api/export?format=csv&from=2000-01-01`, {
      headers: { authorization: `Bearer ${s.tokens[0]}` },
    });
    let bytes = 0;
    let lines = 0;
    for await (const chunk of res.body) {
      bytes += chunk.length;
      for (const b of chunk) if (b === 10) lines++;
    }
    const exportS = (performance.now() - te) / 1000;
    const hwm = rss('VmHWM');
    log(
      `export: ${lines} lines, ${(bytes / 1e6).toFixed(0)} MB in ${exportS.toFixed(1)} s; collector RSS ${rssBefore.toFixed(0)} MB before, peak ${hwm.toFixed(0)} MB`,
    );

    // Import: `heed import` of a generated CSV through the ingest pipeline, its time and peak RSS.
    let importLine = '';
    if (IMPORT_ROWS > 0) {
      collector.proc.kill('SIGTERM');
      collector = undefined;
      const file = `/tmp/${DB}.csv`;
      const out = createWriteStream(file);
      out.write('userId,event,channel,content,timestamp,plan\n');
      for (let i = 0; i < IMPORT_ROWS; i++) {
        const text = i % 2 ? `"${PHRASES[i % PHRASES.length]}, ""quoted"" #${i}"` : '';
        const ch = i % 2 ? 'email' : 'web';
        const line = `imp-${i % 5000},${i % 2 ? 'Support Email' : 'Page View'},${ch},${text},${new Date(now - (i % 1e6) * 30_000).toISOString()},${i % 3 ? 'pro' : ''}\n`;
        if (!out.write(line)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      log(`importing ${IMPORT_ROWS} CSV rows with heed import`);
      const ti = performance.now();
      const p = spawn(process.execPath, [CLI, 'import', file, '--org', s.orgIds[0], '--json'], {
        env: { ...process.env, ...env },
      });
      let stdout = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', () => {});
      let peak = 0;
      const poll = setInterval(() => {
        try {
          const kb = Number(readFileSync(`/proc/${p.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)?.[1] ?? 0);
          peak = Math.max(peak, kb / 1024);
        } catch {}
      }, 200);
      const [code] = await once(p, 'exit');
      clearInterval(poll);
      rmSync(file, { force: true });
      const importS = (performance.now() - ti) / 1000;
      const summary = JSON.parse(stdout.trim().split('\n').at(-1));
      if (code !== 0 || summary.accepted !== IMPORT_ROWS)
        throw new Error(`import: exit ${code}, ${stdout.slice(0, 500)}`);
      importLine =
        `\nImport: ${IMPORT_ROWS} CSV rows (profile pass + ingest pipeline, batches of 100) in ${importS.toFixed(0)} s ` +
        `(${Math.round(IMPORT_ROWS / importS)} rows/s incl. the profile), ${summary.accepted} stored; heed import peak RSS ${peak.toFixed(0)} MB.`;
      log(importLine.trim());
    }

    const fmt = (x) => x.toFixed(1);
    const table = [
      '| query | uncached p50 | p95 | p99 | cached p50 | p95 | p99 |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...results.map(
        (r) =>
          `| ${r.name} | ${fmt(r.uncached.p50)} | **${fmt(r.uncached.p95)}** | ${fmt(r.uncached.p99)} | ${fmt(r.cached.p50)} | ${fmt(r.cached.p95)} | ${fmt(r.cached.p99)} |`,
      ),
    ].join('\n');
    console.log(
      `\n${ROWS} interactions (${sizeRows[0].size} with indexes), ${REQUESTS} requests per row and mode, times in ms\n`,
    );
    console.log(table);
    console.log(
      `\nSeed: load ${s.loadS.toFixed(0)} s, index build ${s.indexS.toFixed(0)} s, vacuum/analyze ${s.vacuumS.toFixed(0)} s; ` +
        `daily trend rollup (${rollupDays} organization-days) built by the collector's refresher in ${rollupS.toFixed(1)} s.` +
        `\nExport: ${lines - 1} rows (${(bytes / 1e6).toFixed(0)} MB CSV) in ${exportS.toFixed(1)} s ` +
        `(${Math.round((lines - 1) / exportS)} rows/s); collector RSS ${rssBefore.toFixed(0)} MB before the export, peak ${hwm.toFixed(0)} MB during it.` +
        importLine +
        `\nTotal benchmark time ${((performance.now() - started) / 1000).toFixed(0)} s.`,
    );
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
