import { afterEach, describe, expect, it } from 'vitest';
import { fakeCollector } from '../test/fake-collector.js';
import { createHeed } from './client.js';
import type { CoreEvents } from './index.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function setup(settings: Record<string, unknown> = {}) {
  const fake = await fakeCollector();
  close = fake.close;
  const heed = createHeed({
    writeKey: 'wk_node',
    host: fake.url,
    handleExit: false,
    flushInterval: 20,
    ...settings,
  });
  const dropped: CoreEvents['dropped'][] = [];
  heed.on('dropped', (d) => dropped.push(d));
  return { fake, heed, dropped };
}

describe('sdk-node', () => {
  it('sends gzipped batches over one keep-alive connection with a bearer key', async () => {
    const { fake, heed } = await setup({ flushAt: 10, maxBatchSize: 10 });
    for (let i = 0; i < 30; i++)
      await heed.track({ userId: `u${i}`, event: 'Order Completed', properties: { note: 'x'.repeat(200) } });
    await heed.flush();
    expect(fake.stored.size).toBe(30);
    expect(fake.requests.length).toBeGreaterThanOrEqual(3);
    expect(fake.requests.every((r) => r.headers['content-encoding'] === 'gzip')).toBe(true);
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer wk_node');
    expect(fake.requests[0]!.headers['content-type']).toBe('application/json');
    expect(fake.requests[0]!.bodyKeys).not.toContain('writeKey'); // the secret travels in the header only
  });

  it("an app's own fetch gets the same headers (the write key as a Bearer token)", async () => {
    const seen: Record<string, string>[] = [];
    const { fake, heed } = await setup({
      gzip: false,
      fetch: (url: string, init: { headers?: Record<string, string> }) => {
        seen.push(init.headers ?? {});
        return fetch(url, init as RequestInit);
      },
    });
    await heed.track({ userId: 'u1', event: 'Own Fetch' });
    await heed.flush();
    expect(fake.stored.size).toBe(1);
    expect(seen[0]).toMatchObject({ authorization: 'Bearer wk_node', 'content-type': 'application/json' });
    expect(seen[0]).not.toHaveProperty('content-encoding');
    expect(fake.sockets.size).toBe(1);
  });

  it('interaction helpers set channel, event name and content', async () => {
    const { fake, heed } = await setup();
    await heed.supportEmail({ userId: 'c1', subject: 'Refund', content: 'I was charged twice' });
    await heed.chatTranscript({
      userId: 'c2',
      messages: [
        { role: 'customer', text: 'Hi, the app crashes' },
        { role: 'agent', text: 'Sorry! Which version?' },
      ],
    });
    await heed.phoneNote({ userId: 'c3', content: 'Wants an invoice copy', durationSeconds: 240 });
    await heed.flush();
    const events = [...fake.stored.values()];
    expect(events.map((e) => [e.event, e.context?.channel, e.userId])).toEqual([
      ['Support Email', 'email', 'c1'],
      ['Chat Transcript', 'chat', 'c2'],
      ['Phone Call', 'phone', 'c3'],
    ]);
    expect(events[0]!.properties).toMatchObject({ content: 'I was charged twice', subject: 'Refund' });
    expect(events[1]!.properties!.content).toBe(
      'customer: Hi, the app crashes\nagent: Sorry! Which version?',
    );
    expect(events[2]!.properties).toMatchObject({ durationSeconds: 240 });
    expect(events[0]!.context!.library).toEqual({ name: '@heed/sdk-node', version: expect.any(String) });
  });

  it('drops an email without content before sending, and says why', async () => {
    const { fake, heed, dropped } = await setup();
    await heed.track({ userId: 'c1', event: 'Support Email', channel: 'email' });
    await heed.flush();
    expect(fake.requests).toHaveLength(0);
    expect(dropped[0]).toMatchObject({ reason: 'invalid', details: [{ field: 'properties.content' }] });
  });

  it('bad calls from plain JavaScript never throw', async () => {
    const { fake, heed, dropped } = await setup();
    const loose = heed as unknown as { track(msg?: unknown): Promise<void> };
    await expect(loose.track()).resolves.toBeUndefined(); // no user, no event name: dropped, saying so
    // an invalid Date is sent as null, which the collector reads as "when it arrived"
    await expect(
      heed.track({ userId: 'c1', event: 'Late', timestamp: new Date('not a date') }),
    ).resolves.toBeUndefined();
    await heed.flush();
    expect(dropped).toEqual([expect.objectContaining({ reason: 'invalid' })]);
    expect(dropped[0]!.details).toContainEqual(expect.objectContaining({ field: 'userId' }));
    expect(fake.requests.flatMap((r) => r.batch)).toEqual([
      expect.objectContaining({ event: 'Late', timestamp: null }),
    ]);
  });

  it('shutdown delivers what was queued while the collector was failing', async () => {
    const { fake, heed, dropped } = await setup({ retryBaseMs: 20, retryCapMs: 50, maxRetries: 1_000 });
    fake.state.status = 503;
    for (let i = 0; i < 5; i++) await heed.track({ userId: 'u', event: `E${i}` });
    await heed.flush();
    setTimeout(() => {
      fake.state.status = 200;
    }, 150);
    await expect(heed.shutdown(5_000)).resolves.toEqual({ undelivered: 0 });
    expect(fake.stored.size).toBe(5);
    expect(dropped).toEqual([]);
  });

  it('shutdown reports what it could not deliver in time', async () => {
    const { fake, heed } = await setup({ retryBaseMs: 5_000, retryCapMs: 5_000 });
    fake.state.status = 500;
    for (let i = 0; i < 3; i++) await heed.track({ userId: 'u', event: `E${i}` });
    const started = Date.now();
    await expect(heed.shutdown(300)).resolves.toEqual({ undelivered: 3 });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('serverless mode: the event is stored when the call resolves', async () => {
    const { fake, heed } = await setup({ serverless: true, flushInterval: 60_000 });
    await heed.track({ userId: 'u1', event: 'Function Invoked' });
    expect(fake.stored.size).toBe(1);
    const registered: Promise<unknown>[] = [];
    void heed.track({ userId: 'u1', event: 'Second' });
    heed.waitUntil((p) => registered.push(p));
    await Promise.all(registered);
    expect(fake.stored.size).toBe(2);
  });

  it('backpressure: a full queue makes callers wait instead of dropping', async () => {
    const { fake, heed, dropped } = await setup({ maxQueueSize: 5, overflow: 'backpressure', flushAt: 100 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => heed.track({ userId: 'u', event: `E${i}` })));
    await heed.flush();
    expect(dropped).toEqual([]);
    expect(fake.stored.size).toBe(40);
    expect([...fake.stored.values()].map((e) => e.event)).toEqual(
      Array.from({ length: 40 }, (_, i) => `E${i}`),
    );
  });

  it('rejects an unknown overflow mode, naming it', async () => {
    await expect(setup({ overflow: 'block' })).rejects.toThrow(/overflow/);
  });

  it('drop-oldest: a full queue drops and counts the oldest', async () => {
    const { fake, heed, dropped } = await setup({ maxQueueSize: 5, flushAt: 100, flushInterval: 60_000 });
    fake.state.status = 503;
    for (let i = 0; i < 8; i++) await heed.track({ userId: 'u', event: `E${i}` });
    expect(dropped.reduce((n, d) => n + d.count, 0)).toBe(3);
    expect(dropped.every((d) => d.reason === 'queue_full')).toBe(true);
  });
});
