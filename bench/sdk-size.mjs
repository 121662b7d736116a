#!/usr/bin/env node
// SDK benchmark: bundle sizes (min+gzip) next to published anchors, and Node SDK throughput from
// track() to stored rows in a local collector (SQLite).
// Usage: pnpm build && node bench/sdk-size.mjs [--events 20000]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'tsup';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const gz = (code) => gzipSync(code, { level: 9 }).length;

/** Bundles an entry the way an app's bundler would (everything inlined, minified), returns min+gzip. */
async function bundled(entry, platform, inline = [/.*/]) {
  const outDir = mkdtempSync(join(tmpdir(), 'heed-size-'));
  try {
    await build({
      entry: { out: entry },
      format: ['esm'],
      minify: true,
      noExternal: inline,
      external: ['undici'],
      platform,
      target: 'es2022',
      outDir,
      silent: true,
      config: false,
      dts: false,
    });
    return gz(readFileSync(join(outDir, 'out.js')));
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

const snippetFile = join(root, 'packages/sdk-browser/dist/heed.global.js');
const sizes = [
  ['Heed browser `<script>` build (dist/heed.global.js)', gz(readFileSync(snippetFile))],
  [
    'Heed browser npm ESM, bundled by an app',
    await bundled(join(root, 'packages/sdk-browser/src/index.ts'), 'browser'),
  ],
  [
    'Heed Node SDK with sdk-core and protocol (undici is a dependency)',
    await bundled(join(root, 'packages/sdk-node/src/index.ts'), 'node', [/^@heed\//]),
  ],
];
const anchors = [
  ['Umami tracker', 2.3],
  ['Plausible', 2.7],
  ['Snowplow browser tracker', 17.4],
  ['Segment analytics-next', 30],
  ['posthog-js (slim)', 54],
];
console.log(
  '\n| build | min+gzip (gzip level 9; budget of the `<script>` build: 3,584 bytes) |\n| --- | ---: |',
);
for (const [name, bytes] of sizes)
  console.log(`| ${name} | ${kb(bytes)} (${bytes.toLocaleString('en-US')} bytes) |`);
for (const [name, k] of anchors) console.log(`| ${name} (published) | ${k.toFixed(1)} KB |`);

// Throughput: track() -> POST /v1/batch -> stored, on loopback with SQLite.
const { startCollector } = await import('@heed/collector');
const { createHeed } = await import('@heed/sdk-node');
const N = arg('events', 20_000);
const event = (i) => ({
  userId: `customer-${i % 5000}`,
  event: i % 4 === 0 ? 'Support Email' : 'Order Completed',
  channel: i % 4 === 0 ? 'email' : 'web',
  content: i % 4 === 0 ? `Order ${i} arrived damaged, I would like a replacement please` : undefined,
  properties: { orderId: `o-${i}`, total: (i % 300) + 0.99, currency: 'EUR', items: i % 7 },
});

async function waitStored(c, n) {
  while ((await c.storage.countInteractions(c.organizationId)) < n)
    await new Promise((r) => setTimeout(r, 20));
}

/** Sends N events through sdk-node and returns events/s from the first track() to the last stored row. */
async function sdkRun(gzip) {
  const c = await startCollector();
  const heed = createHeed({
    writeKey: c.writeKey,
    host: c.url,
    handleExit: false,
    gzip,
    flushAt: 100,
    maxBatchSize: 100,
    maxQueueSize: N,
  });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) heed.track(event(i));
  const { undelivered } = await heed.shutdown(120_000);
  if (undelivered > 0) throw new Error(`${undelivered} events undelivered`);
  await waitStored(c, N);
  const rate = N / ((performance.now() - t0) / 1000);
  await c.close();
  return rate;
}
const sdkRate = await sdkRun(true);
const sdkPlainRate = await sdkRun(false);

// Baseline: the same events, pre-built, posted by hand in batches of 100, one request in flight.
const rawCollector = await startCollector();
const { buildEvent } = await import('../packages/sdk-core/dist/index.js');
const batches = [];
for (let i = 0; i < N; i += 100) {
  batches.push(
    Array.from({ length: Math.min(100, N - i) }, (_, k) => {
      const { channel, content, ...e } = event(i + k);
      return buildEvent(
        'track',
        { ...e, properties: { ...e.properties, content }, context: { channel } },
        { name: 'raw', version: '0' },
      );
    }),
  );
}
const t = performance.now();
for (const batch of batches) {
  const res = await fetch(`${rawCollector.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${rawCollector.writeKey}` },
    body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
  });
  await res.arrayBuffer();
}
await waitStored(rawCollector, N);
const rawRate = N / ((performance.now() - t) / 1000);
await rawCollector.close();

console.log(`\n| path (${N.toLocaleString('en')} events, SQLite, loopback) | events/s |\n| --- | ---: |`);
console.log(
  `| sdk-node: track() to stored rows (batches of 100, gzip, keep-alive) | ${Math.round(sdkRate).toLocaleString('en')} |`,
);
console.log(`| sdk-node with gzip off | ${Math.round(sdkPlainRate).toLocaleString('en')} |`);
console.log(
  `| baseline: hand-built batches of 100 POSTed with fetch, one in flight | ${Math.round(rawRate).toLocaleString('en')} |`,
);
console.log(
  `| sdk-node / baseline | ${((sdkRate / rawRate) * 100).toFixed(1)}% (gzip on), ${((sdkPlainRate / rawRate) * 100).toFixed(1)}% (gzip off) |`,
);
process.exit(0);
