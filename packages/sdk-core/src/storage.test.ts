import { HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { memoryStorage } from './storage.js';
import { fakeCollector, recordedCore, track } from './test-helpers.js';

const collector = fakeCollector();
const sentIds = () => collector.received.flatMap((r) => r.batch.map((e) => e.messageId));

describe('the shared queue', () => {
  it('two clients sharing one store send each event once (claims are leased)', async () => {
    collector.reply = async (body) => {
      await new Promise((r) => setTimeout(r, 30)); // keep both clients' requests in flight together
      return HttpResponse.json({ success: true, accepted: body.batch.length, duplicates: 0, rejected: 0 });
    };
    const storage = memoryStorage();
    const a = recordedCore({ storage, flushAt: 1000, maxBatchSize: 3 });
    const b = recordedCore({ storage, flushAt: 1000, maxBatchSize: 3 });
    for (let i = 0; i < 10; i++) {
      await a.core.enqueue(track(i));
      await b.core.enqueue(track(100 + i));
    }
    await Promise.all([a.core.flush(), b.core.flush()]);
    expect(sentIds()).toHaveLength(20);
    expect(new Set(sentIds()).size).toBe(20);
    expect(collector.received.every((r) => r.batch.length <= 3)).toBe(true);
    // both clients took part, and each reports only what it delivered
    const delivered = [a, b].map((c) => c.log.delivered.reduce((n, d) => n + d.count, 0));
    expect(delivered[0]! + delivered[1]!).toBe(20);
    expect(await a.core.stats()).toEqual({ size: 0, nextAt: null });
  });

  it('sends an event larger than the byte budget alone instead of blocking the queue', async () => {
    const { core, log } = recordedCore({ flushAt: 1000, maxBatchBytes: 2048 });
    await core.enqueue(track(1, { content: 'x'.repeat(3000) }));
    for (let i = 2; i <= 4; i++) await core.enqueue(track(i));
    await core.flush();
    expect(collector.received.map((r) => r.batch.length)).toEqual([1, 3]);
    expect(log.delivered.reduce((n, d) => n + d.count, 0)).toBe(4);
  });

  it('a retried event waits out its delay while newer events go ahead', async () => {
    collector.reply = (body, n) =>
      n === 1
        ? new HttpResponse(null, { status: 503, headers: { 'retry-after': '60' } })
        : HttpResponse.json({ success: true, accepted: body.batch.length, duplicates: 0, rejected: 0 });
    const { core } = recordedCore({ flushAt: 1000 });
    await core.enqueue(track(1));
    await core.flush(); // 503: Event 1 waits 60 s
    await core.enqueue(track(2));
    await core.flush();
    expect(collector.received.map((r) => r.batch.map((e) => e.event))).toEqual([['Event 1'], ['Event 2']]);
    const { size, nextAt } = await core.stats();
    expect(size).toBe(1);
    expect(nextAt).toBeGreaterThan(Date.now() + 50_000);
  });
});
