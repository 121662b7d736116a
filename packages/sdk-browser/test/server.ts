import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { HeedEvent } from '@heed/protocol';
import { build } from 'tsup';
import { snippetBuild } from '../tsup.config.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the real `<script>` build (the IIFE entry of tsup.config.ts) and returns its code. */
export async function buildSnippet(): Promise<string> {
  const outDir = join(pkg, 'node_modules', '.heed-test');
  mkdirSync(outDir, { recursive: true });
  await build({
    ...snippetBuild,
    entry: { heed: join(pkg, 'src/snippet.ts') },
    outDir,
    silent: true,
    config: false,
  });
  return readFileSync(join(outDir, 'heed.global.js'), 'utf8');
}

export interface Received {
  contentType: string | undefined;
  batch: HeedEvent[];
}

/**
 * Serves test pages, the script build, and a fake POST /v1/batch that stores each messageId once
 * (like the collector). `mode` fakes an outage; `proxyTo` forwards batches to a real collector.
 */
export async function testServer(script: string) {
  const received: Received[] = [];
  const stored = new Map<string, HeedEvent>();
  const state = { mode: 'up' as 'up' | 'down', delayMs: 0, proxyTo: '', preflights: 0 };
  const pages = new Map<string, string>();

  async function batch(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let raw = Buffer.concat(chunks);
    if (state.mode === 'down') {
      res.writeHead(503).end();
      return;
    }
    if (state.proxyTo) {
      const headers: Record<string, string> = {};
      // what the browser sent, as the collector would see it behind a proxy that keeps headers
      for (const h of [
        'content-type',
        'content-encoding',
        'authorization',
        'origin',
        'user-agent',
        'accept-language',
      ])
        if (req.headers[h]) headers[h] = String(req.headers[h]);
      const r = await fetch(`${state.proxyTo}/v1/batch`, { method: 'POST', headers, body: raw });
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
      return;
    }
    if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw); // gzip's magic bytes, as the collector checks
    const body = JSON.parse(raw.toString('utf8')) as { batch: HeedEvent[] };
    received.push({ contentType: req.headers['content-type'], batch: body.batch });
    if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
    let duplicates = 0;
    for (const e of body.batch) {
      if (stored.has(e.messageId)) duplicates++;
      else stored.set(e.messageId, e);
    }
    // readable from any origin, like the collector for a key without an origin allow-list
    res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
    res.end(
      JSON.stringify({ success: true, accepted: body.batch.length - duplicates, duplicates, rejected: 0 }),
    );
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'OPTIONS') {
      state.preflights++; // counted: the SDK's requests should never need one
      res
        .writeHead(204, {
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'POST',
          'access-control-allow-headers': '*',
        })
        .end();
      return;
    }
    if (req.method === 'POST' && path === '/v1/batch') {
      batch(req, res).catch(() => res.writeHead(500).end());
      return;
    }
    if (path === '/heed.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      return;
    }
    const page = pages.get(path);
    if (page) res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    stored,
    state,
    pages,
    /** Every messageId the server received, with repeats. */
    receivedIds: () => received.flatMap((r) => r.batch.map((e) => e.messageId)),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
