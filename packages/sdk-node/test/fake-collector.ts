import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { HeedEvent } from '@heed/protocol';

export interface FakeRequest {
  headers: IncomingMessage['headers'];
  batch: HeedEvent[];
  /** Keys of the body besides the batch (a server's body should carry no write key). */
  bodyKeys: string[];
}

/**
 * A stand-in for the collector's POST /v1/batch, for failure modes the real one does not produce
 * on demand (outages, 5xx). Stores each messageId once, like the collector.
 */
export async function fakeCollector() {
  const requests: FakeRequest[] = [];
  const stored = new Map<string, HeedEvent>();
  const sockets = new Set<unknown>();
  const state = { status: 200 };
  const server: Server = createServer(async (req, res) => {
    sockets.add(req.socket);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let raw = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    const body = JSON.parse(raw.toString('utf8')) as { batch: HeedEvent[] };
    requests.push({ headers: req.headers, batch: body.batch, bodyKeys: Object.keys(body) });
    if (state.status !== 200) {
      res.writeHead(state.status).end();
      return;
    }
    let duplicates = 0;
    for (const e of body.batch) {
      if (stored.has(e.messageId)) duplicates++;
      else stored.set(e.messageId, e);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ success: true, accepted: body.batch.length - duplicates, duplicates, rejected: 0 }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    stored,
    sockets,
    state,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
