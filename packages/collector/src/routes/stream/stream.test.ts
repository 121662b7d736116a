import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userWithToken } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';
import { batchBody, connect, ingest, liveOrg, liveServer } from '../../../test/live.js';
import type { RunningServer } from '../../serve.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DIALECTS)('GET /v1/stream on %s', (dialect) => {
  let db: TestDatabase;
  let server: RunningServer;
  let acme: Awaited<ReturnType<typeof liveOrg>>;
  let globex: Awaited<ReturnType<typeof liveOrg>>;
  const streamUrl = () => `${server.url}/v1/stream`;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    server = await liveServer(db, { STREAM_HEARTBEAT_SECONDS: '0.2' });
    acme = await liveOrg(server.storage, 'Acme');
    globex = await liveOrg(server.storage, 'Globex');
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it("streams the caller's organization's interactions as they are stored, and nobody else's", async () => {
    const a = connect(streamUrl(), { token: acme.token });
    const g = connect(streamUrl(), { token: globex.token });
    await Promise.all([a.opened, g.opened]);
    await ingest(
      server.url,
      acme.writeKey,
      batchBody(1, { userId: 'ada', properties: { content: '<img src=x onerror=alert(1)> hi' } }),
    );
    await ingest(server.url, globex.writeKey, batchBody(1, { userId: 'globex-user' }));
    await a.until(() => a.events().length === 1);
    await g.until(() => g.events().length === 1);
    await tick(100);
    const [event] = a.events();
    expect(event?.type).toBe('interaction.created');
    expect(event?.data).toMatchObject({
      externalId: 'ada',
      channel: 'chat',
      content: '<img src=x onerror=alert(1)> hi',
    });
    expect(a.events()).toHaveLength(1);
    expect(g.events().map((e) => e.data.externalId)).toEqual(['globex-user']);
    a.close();
    g.close();
  });

  it('refuses a missing or forged credential, and an access token passed as a stream token', async () => {
    expect((await fetch(streamUrl())).status).toBe(401);
    expect((await fetch(`${streamUrl()}?token=${acme.token}`)).status).toBe(401);
    const res = await fetch(`${server.url}/api/stream-token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${acme.token}` },
    });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    // The same token is set as an HttpOnly cookie scoped to the stream (browsers send it themselves).
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^heed_stream=[^;]+;.*HttpOnly/i);
    expect(cookie).toMatch(/Path=\/v1\/stream/);
    const viaCookie = await fetch(streamUrl(), { headers: { cookie: cookie.split(';')[0]! } });
    expect(viaCookie.status).toBe(200);
    await viaCookie.body?.cancel();
    const s = connect(`${streamUrl()}?token=${token}`);
    await s.opened;
    server.hub.publish(acme.organizationId, { type: 'anomaly.detected', data: { id: 'an-1' } });
    await s.until(() => s.events().some((e) => e.data.id === 'an-1'));
    s.close();
  });

  it("ends a user's streams when the user logs out, and refuses the stream tokens issued before", async () => {
    const { token } = await userWithToken(server.storage, acme.organizationId, 'analyst');
    const res = await fetch(`${server.url}/api/stream-token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const streamToken = ((await res.json()) as { token: string }).token;
    const s = connect(streamUrl(), { token });
    await s.opened;
    const logout = await fetch(`${server.url}/api/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(logout.status).toBe(204);
    // Closed at the next heartbeat (0.2 s here); the reconnect is refused, so EventSource gives up.
    await expect.poll(() => s.es.readyState, { timeout: 3000 }).toBe(2);
    expect((await fetch(`${streamUrl()}?token=${streamToken}`)).status).toBe(401);
  });

  it('answers with an unbuffered event stream and a heartbeat comment', async () => {
    const ac = new AbortController();
    const res = await fetch(streamUrl(), {
      headers: { authorization: `Bearer ${acme.token}` },
      signal: ac.signal,
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('cache-control')).toContain('no-cache');
    const reader = res.body!.getReader();
    const started = Date.now();
    let text = '';
    while (!text.includes(': heartbeat')) text += new TextDecoder().decode((await reader.read()).value);
    expect(Date.now() - started).toBeLessThan(1000);
    ac.abort();
  });

  it('coalesces a burst into one message with increasing ids', async () => {
    const s = connect(streamUrl(), { token: acme.token });
    await s.opened;
    await tick(60); // out of the previous window
    for (let i = 0; i < 20; i++)
      server.hub.publish(acme.organizationId, { type: 'sentiment.analyzed', data: { n: i } });
    await s.until(() => s.events().length === 20);
    await tick(100);
    server.hub.publish(acme.organizationId, { type: 'sentiment.analyzed', data: { n: 20 } });
    await s.until(() => s.events().length === 21);
    // The first publish goes out at once (leading edge), the next 19 within 50 ms in one message.
    expect(s.messages.length).toBeLessThanOrEqual(3);
    const ids = s.events().map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(21);
    expect(s.messages.at(-1)?.lastEventId).toBe(String(ids.at(-1)));
    s.close();
  });

  it('replays what a reconnecting client missed, once, from Last-Event-ID', async () => {
    const s = connect(streamUrl(), { token: acme.token });
    await s.opened;
    server.hub.publish(acme.organizationId, { type: 'sentiment.analyzed', data: { step: 'seen' } });
    await s.until(() => s.events().length === 1);
    const lastSeen = s.messages.at(-1)!.lastEventId;
    s.close();
    for (let i = 0; i < 3; i++)
      server.hub.publish(acme.organizationId, { type: 'sentiment.analyzed', data: { step: i } });
    await tick(100);
    const r = connect(streamUrl(), { token: acme.token, lastEventId: lastSeen });
    await r.until(() => r.events().length >= 3);
    server.hub.publish(acme.organizationId, { type: 'sentiment.analyzed', data: { step: 'live' } });
    await r.until(() => r.events().length >= 4);
    await tick(100);
    expect(r.events().map((e) => e.data.step)).toEqual([0, 1, 2, 'live']);
    expect(r.messages.some((m) => m.type === 'resync')).toBe(false);
    r.close();
  });

  it('asks for a resync when more than the buffer was missed, or the id is unknown', async () => {
    const s = connect(streamUrl(), { token: acme.token });
    await s.opened;
    server.hub.publish(acme.organizationId, { type: 'sentiment.analyzed', data: {} });
    await s.until(() => s.events().length === 1);
    const lastSeen = s.messages.at(-1)!.lastEventId;
    s.close();
    for (let i = 0; i < 101; i++)
      server.hub.publish(acme.organizationId, { type: 'sentiment.analyzed', data: { i } });
    await tick(100);
    const r = connect(streamUrl(), { token: acme.token, lastEventId: lastSeen });
    await r.until(() => r.messages.some((m) => m.type === 'resync'));
    expect(r.events()).toHaveLength(0);
    // The resync carries the newest id: the next reconnect resumes from there.
    expect(Number(r.messages[0]!.lastEventId)).toBeGreaterThan(Number(lastSeen) + 100);
    r.close();
    const u = connect(streamUrl(), { token: acme.token, lastEventId: 'not-a-number' });
    await u.until(() => u.messages.some((m) => m.type === 'resync'));
    u.close();
  });

  // Back-pressure does not depend on the database: checked once, on SQLite.
  if (dialect === 'sqlite') {
    it('drops a client that stops reading, with a resync, instead of queueing', async () => {
      const { port } = server;
      const socket = tcpConnect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.write(
        `GET /v1/stream HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${acme.token}\r\n\r\n`,
      );
      socket.pause();
      await tick(100);
      const big = 'x'.repeat(4000);
      // ~16 MB in total: far more than the socket buffers and the 256 KiB allowed per client.
      for (let i = 0; i < 40; i++) {
        for (let j = 0; j < 100; j++)
          server.hub.publish(acme.organizationId, { type: 'sentiment.analyzed', data: { big } });
        await tick(60);
      }
      let received = '';
      const dropped = new Promise<void>((resolve) => {
        socket.on('data', (d) => {
          received += d.toString();
          // The stream ends with the resync, then the closing chunk of the response.
          if (received.includes('event: resync\ndata: {"reason":"slow"}') && received.endsWith('0\r\n\r\n'))
            resolve();
        });
      });
      socket.resume();
      await dropped;
      expect(received.length).toBeLessThan(12_000_000);
      socket.destroy();
    });
  }
});
