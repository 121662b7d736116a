import { startCollector, type TestCollector } from '@heed/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHeed } from '../src/index.js';

let collector: TestCollector;
beforeAll(async () => {
  collector = await startCollector();
});
afterAll(() => collector.close());

describe('sdk-node against the real collector', () => {
  it('stores every event exactly once, with channel and content', async () => {
    const heed = createHeed({
      writeKey: collector.writeKey,
      host: collector.url,
      handleExit: false,
      flushAt: 50,
    });
    const delivered: number[] = [];
    heed.on('delivered', (d) => delivered.push(d.count));
    for (let i = 0; i < 120; i++)
      await heed.track({ userId: `cust-${i % 7}`, event: 'Order Completed', properties: { i } });
    await heed.supportEmail({
      userId: 'cust-1',
      subject: 'Refund',
      content: 'I was charged twice for my order',
    });
    await heed.chatTranscript({
      userId: 'cust-2',
      messages: [{ role: 'customer', text: 'Love the new dashboard' }],
    });
    await heed.phoneNote({ userId: 'cust-3', content: 'Asked for an invoice copy', durationSeconds: 90 });
    await expect(heed.shutdown(10_000)).resolves.toEqual({ undelivered: 0 });
    expect(delivered.reduce((a, b) => a + b, 0)).toBe(123);
    expect(await collector.storage.countInteractions(collector.organizationId)).toBe(123);
    const rows = await collector.storage.listInteractions({
      organizationId: collector.organizationId,
      limit: 500,
    });
    const email = rows.find((r) => r.channel === 'email');
    expect(email).toMatchObject({ eventType: 'Support Email', content: 'I was charged twice for my order' });
    expect(rows.find((r) => r.channel === 'chat')?.content).toBe('customer: Love the new dashboard');
  });

  it('a resent messageId is stored once', async () => {
    const before = await collector.storage.countInteractions(collector.organizationId);
    const heed = createHeed({ writeKey: collector.writeKey, host: collector.url, handleExit: false });
    const duplicates: number[] = [];
    heed.on('delivered', (d) => duplicates.push(d.duplicates));
    const messageId = 'resend-0001';
    await heed.track({ userId: 'u', event: 'Clicked', messageId });
    await heed.flush();
    await heed.track({ userId: 'u', event: 'Clicked', messageId });
    await heed.shutdown(5_000);
    expect(await collector.storage.countInteractions(collector.organizationId)).toBe(before + 1);
    expect(duplicates).toEqual([0, 1]);
  });

  it('a wrong write key stops sending and reports unauthorized, without retrying', async () => {
    const heed = createHeed({ writeKey: 'wk_wrong', host: collector.url, handleExit: false, retryBaseMs: 1 });
    const errors: { code: string; status?: number | undefined }[] = [];
    heed.on('error', (e) => errors.push(e));
    await heed.track({ userId: 'u', event: 'Clicked' });
    await heed.track({ userId: 'u', event: 'Clicked again' });
    await expect(heed.shutdown(1_000)).resolves.toEqual({ undelivered: 2 });
    expect(errors).toEqual([expect.objectContaining({ code: 'unauthorized', status: 401 })]);
  });
});
