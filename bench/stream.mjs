// Live stream: ingest-to-client latency with 1, 100 and 1,000 connected SSE clients, and the
// collector's memory per connection.
//   node bench/stream.mjs [--clients 1,100,1000] [--events 40] [--interval 100] [--dialect sqlite|postgres]
// The collector runs as its own process (`heed start`); this process opens the SSE connections (raw
// HTTP on loopback), posts one event every --interval ms to /v1/batch and times each delivery from
// just before the POST to the moment each client's socket receives the event. Bounded: about
// (events x interval) per client count, plus set-up.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '1,100,1000' },
    events: { type: 'string', default: '40' },
    interval: { type: 'string', default: '100' },
    dialect: { type: 'string', default: 'sqlite' },
  },
});
const COUNTS = args.clients.split(',').map(Number);
const EVENTS = Number(args.events);
const INTERVAL = Number(args.interval);
const CLI = fileURLToPath(new URL('../packages/collector/dist/cli.js', import.meta.url));
const PG_ADMIN = process.env.HEED_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startCollector() {
  const dir = mkdtempSync(join(tmpdir(), 'heed-bench-stream-'));
  let databaseUrl;
  let dbName;
  if (args.dialect === 'postgres') {
    dbName = `heed_bench_stream_${Date.now()}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const u = new URL(PG_ADMIN);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: {
      ...process.env,
      PORT: '0',
      HEED_DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      ANALYSIS: 'off',
      RATE_LIMIT_IP_PER_MIN: '0',
      RATE_LIMIT_USER_PER_MIN: '0',
      RATE_LIMIT_AUTH_PER_MIN: '0',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (/Write key:\s+\S+/.test(out) && /curl/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`collector exited ${code}: ${out}`)));
  });
  const url = /listening on (\S+)/.exec(out)[1];
  const [, email, password] = /Admin login:\s+(\S+) \/ (\S+)/.exec(out);
  const writeKey = /Write key:\s+(\S+)/.exec(out)[1];
  const login = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const { accessToken } = await login.json();
  return {
    url,
    writeKey,
    accessToken,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
      if (dbName) {
        const admin = new pg.Client({ connectionString: PG_ADMIN });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
        await admin.end();
      }
    },
  };
}

const rssOf = (pid) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

/** One SSE client: records when each `lat-<n>` message id arrives. */
function openClient(url, token, onArrive) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${url}/v1/stream`,
      { headers: { authorization: `Bearer ${token}` }, agent: false },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream: ${res.statusCode}`));
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          const at = performance.now();
          for (const m of chunk.matchAll(/"messageId":"lat-(\d+)"/g)) onArrive(Number(m[1]), at);
        });
        resolve(req);
      },
    );
    req.on('error', reject);
  });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const collector = await startCollector();
const results = [];
let seq = 0;
try {
  for (const n of COUNTS) {
    await sleep(500);
    const rssBefore = rssOf(collector.pid);
    const sentAt = new Map();
    const latencies = [];
    const onArrive = (id, at) => {
      const t = sentAt.get(id);
      if (t !== undefined) latencies.push(at - t);
    };
    const clients = [];
    for (let i = 0; i < n; i += 100) {
      const group = Array.from({ length: Math.min(100, n - i) }, () =>
        openClient(collector.url, collector.accessToken, onArrive),
      );
      clients.push(...(await Promise.all(group)));
    }
    await sleep(1000);
    const rssAfter = rssOf(collector.pid);
    for (let e = 0; e < EVENTS; e++) {
      const id = ++seq;
      const body = JSON.stringify({
        batch: [
          {
            type: 'track',
            messageId: `lat-${id}`,
            userId: `user-${id % 50}`,
            event: 'Chat Message',
            properties: { content: 'The new export is great, thanks!' },
            context: { channel: 'chat' },
          },
        ],
      });
      sentAt.set(id, performance.now());
      const res = await fetch(`${collector.url}/v1/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${collector.writeKey}`, 'content-type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      await sleep(INTERVAL);
    }
    await sleep(500);
    for (const c of clients) c.destroy();
    const expected = n * EVENTS;
    latencies.sort((a, b) => a - b);
    const r = {
      clients: n,
      delivered: `${latencies.length}/${expected}`,
      p50: percentile(latencies, 50).toFixed(1),
      p99: percentile(latencies, 99).toFixed(1),
      max: latencies.at(-1).toFixed(1),
      memoryPerConnectionKiB: n >= 100 ? ((rssAfter - rssBefore) / n / 1024).toFixed(1) : '–',
    };
    results.push(r);
    console.log(JSON.stringify(r));
  }
} finally {
  await collector.stop();
}
console.log('\n| clients | delivered | p50 (ms) | p99 (ms) | max (ms) | memory / connection |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  const mem = r.memoryPerConnectionKiB === '–' ? '–' : `${r.memoryPerConnectionKiB} KiB`;
  console.log(`| ${r.clients} | ${r.delivered} | ${r.p50} | ${r.p99} | ${r.max} | ${mem} |`);
}
