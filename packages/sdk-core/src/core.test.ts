import { HttpResponse } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ValidationError } from './settings.js';
import { shutdown } from './shutdown.js';
import { memoryStorage, type QueueStorage } from './storage.js';
import { fakeCollector, recordedCore, track } from './test-helpers.js';

const collector = fakeCollector();
afterEach(() => vi.useRealTimers());

const sentIds = () => collector.received.flatMap((r) => r.batch.map((e) => e.messageId));

describe('status taxonomy', () => {
  it('2xx: a browser delivers in a simple request (write key in the body) and removes the events', async () => {
    const { core, log } = recordedCore({ beacon: () => {} }); // a client that can beacon: a browser
    await core.enqueue(track(1));
    await core.enqueue(track(2));
    await core.flush();
    expect(collector.received).toHaveLength(1);
    const { writeKey, headers } = collector.received[0]!;
    expect(writeKey).toBe('wk_test');
    // no header that would make a browser send a CORS preflight first
    expect(headers.get('authorization')).toBeNull();
    expect(headers.get('content-type')).toMatch(/^text\/plain/);
    expect(log.delivered).toEqual([expect.objectContaining({ count: 2 })]);
    await core.flush();
    expect(collector.received).toHaveLength(1);
    // a client without a beacon (a server) leaves the key to its transport's headers
    const server = recordedCore();
    await server.core.enqueue(track(3));
    await server.core.flush();
    expect(collector.received[1]!.writeKey).toBeUndefined();
  });

  it('400 with per-item details drops only the rejected items and reports them', async () => {
    collector.reply = () =>
      HttpResponse.json(
        {
          success: false,
          accepted: 2,
          duplicates: 0,
          rejected: 1,
          error: 'invalid events',
          code: 'validation_failed',
          details: [{ index: 1, field: 'properties.content', message: 'is required for the email channel' }],
        },
        { status: 400 },
      );
    const { core, log } = recordedCore();
    const events = [track(1), track(2), track(3)];
    for (const e of events) await core.enqueue(e);
    await core.flush();
    expect(log.dropped).toEqual([
      {
        reason: 'rejected',
        count: 1,
        messageIds: [events[1]!.messageId],
        details: [{ index: 1, field: 'properties.content', message: 'is required for the email channel' }],
      },
    ]);
    expect(log.delivered[0]).toMatchObject({
      count: 2,
      messageIds: [events[0]!.messageId, events[2]!.messageId],
    });
    await core.flush();
    expect(collector.received).toHaveLength(1); // nothing resent
  });

  it('400 without per-item details rejects the whole batch once, without retrying', async () => {
    collector.reply = () =>
      HttpResponse.json(
        { error: 'The batch is malformed', details: [{ field: 'batch', message: 'must be an array' }] },
        { status: 400 },
      );
    const { core, log } = recordedCore();
    await core.enqueue(track(1));
    await core.enqueue(track(2));
    await core.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(collector.received).toHaveLength(1);
    expect(log.dropped).toEqual([
      expect.objectContaining({
        reason: 'rejected',
        count: 2,
        details: [{ field: 'batch', message: 'must be an array' }],
      }),
    ]);
    expect(log.delivered).toEqual([]);
  });

  it('413 splits the batch until the pieces fit, and drops a single event that never fits', async () => {
    collector.reply = (body) =>
      body.batch.length > 2 || body.batch.some((e) => e.event === 'Event 5')
        ? new HttpResponse(null, { status: 413 })
        : HttpResponse.json({ success: true, accepted: body.batch.length, duplicates: 0, rejected: 0 });
    const { core, log } = recordedCore({ flushAt: 100 });
    for (let i = 1; i <= 8; i++) await core.enqueue(track(i));
    await core.flush();
    const delivered = log.delivered.flatMap((d) => d.messageIds);
    expect(delivered).toHaveLength(7);
    expect(log.dropped).toEqual([expect.objectContaining({ reason: 'too_large', count: 1 })]);
    expect(
      collector.received.every((r) => r.batch.length <= 2 || r.batch.length === 8 || r.batch.length === 4),
    ).toBe(true);
  });

  it.each([401, 403])('%i stops sending and reports once, keeping the events', async (status) => {
    collector.reply = () => HttpResponse.json({ error: 'bad key' }, { status });
    const { core, log } = recordedCore();
    for (let i = 0; i < 3; i++) await core.enqueue(track(i));
    await core.flush();
    await core.enqueue(track(9));
    await core.flush();
    await new Promise((r) => setTimeout(r, 200));
    expect(collector.received).toHaveLength(1);
    expect(log.error).toEqual([{ code: 'unauthorized', message: 'bad key', status }]);
    expect(log.dropped).toEqual([]);
    expect((await core.stats()).size).toBe(4);
  });

  it.each([408, 429, 500, 503])('%i is retried, then delivered', async (status) => {
    collector.reply = (_b, n) =>
      n === 1
        ? new HttpResponse(null, { status })
        : HttpResponse.json({ success: true, accepted: 1, duplicates: 0, rejected: 0 });
    const { core, log } = recordedCore({ retryBaseMs: 10, retryCapMs: 20 });
    await core.enqueue(track(1));
    await core.flush();
    expect(log.error[0]).toMatchObject({ code: 'http', status });
    await vi.waitFor(() => expect(log.delivered).toHaveLength(1));
    expect(collector.received).toHaveLength(2);
    expect(collector.received[1]!.batch[0]!.messageId).toBe(collector.received[0]!.batch[0]!.messageId);
  });

  it('network errors are retried up to maxRetries, then dropped and reported', async () => {
    collector.reply = () => HttpResponse.error();
    const { core, log } = recordedCore({ retryBaseMs: 1, retryCapMs: 5, maxRetries: 3 });
    await core.enqueue(track(1));
    await core.flush();
    await vi.waitFor(() => expect(log.dropped).toHaveLength(1));
    expect(collector.received).toHaveLength(4); // first attempt + 3 retries
    expect(log.dropped[0]).toMatchObject({ reason: 'retries_exhausted', count: 1 });
    expect(log.error.every((e) => e.code === 'network')).toBe(true);
  });
});

describe('retry limit', () => {
  it('counts attempts that waited for Retry-After too, so a server always sending it cannot loop forever', async () => {
    collector.reply = () => new HttpResponse(null, { status: 503, headers: { 'retry-after': '0' } });
    const { core, log } = recordedCore({ maxRetries: 2 });
    await core.enqueue(track(1));
    await core.flush();
    await vi.waitFor(() => expect(log.dropped).toHaveLength(1));
    expect(collector.received).toHaveLength(3); // first attempt + 2 retries
    expect(log.dropped[0]).toMatchObject({ reason: 'retries_exhausted', count: 1 });
  });
});

describe('request timeout', () => {
  it('a request slower than timeoutMs is aborted, reported as a network error and retried', async () => {
    collector.reply = async (body, n) => {
      if (n === 1) await new Promise((r) => setTimeout(r, 2_000));
      return HttpResponse.json({ success: true, accepted: body.batch.length, duplicates: 0, rejected: 0 });
    };
    const { core, log } = recordedCore({ timeoutMs: 50, retryBaseMs: 1, retryCapMs: 5 });
    await core.enqueue(track(1));
    const t = Date.now();
    await core.flush();
    expect(Date.now() - t).toBeLessThan(1_000); // it did not wait for the slow answer
    expect(log.error[0]).toMatchObject({ code: 'network' });
    await vi.waitFor(() => expect(log.delivered).toHaveLength(1));
  });
});

describe('retry timing', () => {
  it('waits a full-jitter exponential delay, capped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    collector.reply = () => new HttpResponse(null, { status: 503 });
    const { core } = recordedCore({
      retryBaseMs: 1000,
      retryCapMs: 5000,
      maxRetries: 6,
      flushInterval: 60_000,
    });
    await core.enqueue(track(1));
    await core.flush();
    const times: number[] = [Date.now()];
    const start = Date.now();
    for (let i = 0; i < 5; i++) {
      const before = collector.received.length;
      while (collector.received.length === before) await vi.advanceTimersByTimeAsync(50);
      times.push(Date.now() - start);
    }
    // Delays ~ 0.999 * min(5000, 1000 * 2^(n-1)): 999, 1998, 3996, 4995, 4995 (within the 50 ms steps).
    const gaps = times.slice(1).map((t, i) => t - (i === 0 ? 0 : times[i]!));
    const expected = [999, 1998, 3996, 4995, 4995];
    for (const [i, g] of gaps.entries()) expect(Math.abs(g - expected[i]!)).toBeLessThanOrEqual(60);
    vi.restoreAllMocks();
  });

  it('honours Retry-After over its own backoff', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    collector.reply = (_b, n) =>
      n === 1
        ? new HttpResponse(null, { status: 429, headers: { 'retry-after': '7' } })
        : HttpResponse.json({ success: true, accepted: 1, duplicates: 0, rejected: 0 });
    const { core, log } = recordedCore({ retryBaseMs: 10, retryCapMs: 20, flushInterval: 60_000 });
    await core.enqueue(track(1));
    await core.flush();
    await vi.advanceTimersByTimeAsync(6_900);
    expect(collector.received).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(collector.received).toHaveLength(2);
    await vi.waitFor(() => expect(log.delivered).toHaveLength(1));
  });
});

describe('batching', () => {
  it('sends when flushAt events are queued, without waiting for the interval', async () => {
    const { core, log } = recordedCore({ flushAt: 3, flushInterval: 60_000 });
    for (let i = 0; i < 3; i++) await core.enqueue(track(i));
    await vi.waitFor(() => expect(log.delivered).toHaveLength(1));
    expect(collector.received[0]!.batch).toHaveLength(3);
  });

  it('sends on the interval when fewer than flushAt are queued', async () => {
    const { core, log } = recordedCore({ flushAt: 50, flushInterval: 30 });
    await core.enqueue(track(1));
    expect(collector.received).toHaveLength(0);
    await vi.waitFor(() => expect(log.delivered).toHaveLength(1));
  });

  it('never sends a body over maxBatchBytes or more than maxBatchSize events', async () => {
    const { core, log } = recordedCore({ flushAt: 1000, maxBatchBytes: 20_000, maxBatchSize: 7 });
    for (let i = 0; i < 40; i++) await core.enqueue(track(i, { content: 'x'.repeat(1500) }));
    await core.flush();
    expect(log.delivered.reduce((n, d) => n + d.count, 0)).toBe(40);
    for (const r of collector.received) {
      expect(r.batch.length).toBeLessThanOrEqual(7);
      const bytes = new TextEncoder().encode(
        JSON.stringify({ batch: r.batch, sentAt: new Date().toISOString() }),
      ).length;
      expect(bytes).toBeLessThanOrEqual(20_000);
    }
    expect(collector.received.some((r) => r.batch.length < 7)).toBe(true); // the byte budget cut some
  });

  it('drops an event over 32 KB before queueing it', async () => {
    const { core, log } = recordedCore();
    await core.enqueue(track(1, { content: 'x'.repeat(33 * 1024) }));
    await core.flush();
    expect(collector.received).toHaveLength(0);
    expect(log.dropped[0]).toMatchObject({ reason: 'too_large', count: 1 });
  });
});

describe('queue bound', () => {
  it('drop-oldest drops and counts the oldest events', async () => {
    collector.reply = () => new HttpResponse(null, { status: 503 });
    const { core, log } = recordedCore({ maxQueueSize: 3, flushAt: 100, flushInterval: 60_000 });
    const events = [1, 2, 3, 4, 5].map((i) => track(i));
    for (const e of events) await core.enqueue(e);
    expect(log.dropped.flatMap((d) => d.messageIds)).toEqual([events[0]!.messageId, events[1]!.messageId]);
    expect(log.dropped.every((d) => d.reason === 'queue_full')).toBe(true);
  });
});

describe('hooks and consent', () => {
  it('beforeSend edits or drops events', async () => {
    const { core, log } = recordedCore({
      beforeSend: (e) => (e.event === 'Event 2' ? null : { ...e, properties: { redacted: true } }),
    });
    await core.enqueue(track(1, { email: 'a@b.c' }));
    await core.enqueue(track(2));
    await core.flush();
    expect(collector.received[0]!.batch).toHaveLength(1);
    expect(collector.received[0]!.batch[0]!.properties).toEqual({ redacted: true });
    expect(log.dropped).toEqual([expect.objectContaining({ reason: 'before_send', count: 1 })]);
  });

  it('a throwing beforeSend is reported and does not reach the caller', async () => {
    const { core, log } = recordedCore({
      beforeSend: () => {
        throw new Error('oops');
      },
    });
    await expect(core.enqueue(track(1))).resolves.toBeUndefined();
    expect(log.error[0]).toMatchObject({ code: 'hook', message: 'oops' });
  });

  it('sampling keeps or leaves out whole users', async () => {
    const { core, log } = recordedCore({ sampleRate: 0.5, flushAt: 1000 });
    for (let u = 0; u < 200; u++) for (let k = 0; k < 2; k++) await core.enqueue(track(u));
    await core.flush();
    const kept = new Set(collector.received.flatMap((r) => r.batch.map((e) => e.userId)));
    expect(kept.size).toBeGreaterThan(60);
    expect(kept.size).toBeLessThan(140);
    expect(sentIds().length).toBe(kept.size * 2);
    expect(log.dropped.reduce((n, d) => n + d.count, 0)).toBe(400 - kept.size * 2);
  });

  it('opt-out drops new events until opt-in', async () => {
    const { core, log } = recordedCore({ optedOut: true });
    await core.enqueue(track(1));
    core.settings.optedOut = false; // what the browser's optIn() does
    await core.enqueue(track(2));
    await core.flush();
    expect(collector.received.flatMap((r) => r.batch.map((e) => e.event))).toEqual(['Event 2']);
    expect(log.dropped[0]).toMatchObject({ reason: 'opted_out', count: 1 });
  });
});

describe('unload', () => {
  it('hands unsent events to the beacon within the 64 KB budget, with the write key in the body', async () => {
    collector.reply = () => new HttpResponse(null, { status: 503 });
    const beacons: string[] = [];
    const { core } = recordedCore({
      beacon: (_u, b) => beacons.push(b) > 0,
      flushAt: 1000,
      flushInterval: 60_000,
    });
    for (let i = 0; i < 30; i++) await core.enqueue(track(i, { content: 'y'.repeat(4000) }));
    core.flushOnUnload();
    expect(beacons).toHaveLength(1);
    expect(new TextEncoder().encode(beacons[0]).length).toBeLessThanOrEqual(64 * 1024);
    const body = JSON.parse(beacons[0]!);
    expect(body.writeKey).toBe('wk_test');
    expect(body.batch.length).toBeGreaterThan(10);
    expect(body.batch[0].event).toBe('Event 0');
  });

  it('covers events whose storage write has not finished yet', async () => {
    const beacons: string[] = [];
    let release: () => void = () => {};
    const memory = memoryStorage();
    const opened = new Promise<void>((r) => {
      release = r;
    });
    // a store that is slow to open: every edit waits until release(), still in call order
    const slow: QueueStorage = (fn) => opened.then(() => memory(fn));
    const { core } = recordedCore({ storage: slow, beacon: (_u, b) => beacons.push(b) > 0 });
    void core.enqueue(track(1));
    void core.enqueue(track(2));
    core.flushOnUnload(); // the page goes away now
    expect(JSON.parse(beacons[0]!).batch.map((e: { event: string }) => e.event)).toEqual([
      'Event 1',
      'Event 2',
    ]);
    release();
  });

  it('forgets events another client (tab) delivered, so its unload does not send them again', async () => {
    const shared = memoryStorage();
    const beacons: string[] = [];
    const quiet = { flushAt: 1000, flushInterval: 60_000 };
    const a = recordedCore({ ...quiet, storage: shared, beacon: (_u, b) => beacons.push(b) > 0 });
    const b = recordedCore({ ...quiet, storage: shared });
    for (let i = 0; i < 3; i++) await a.core.enqueue(track(i));
    await b.core.flush(); // the other tab sends a's three events
    expect(sentIds()).toHaveLength(3);
    await a.core.enqueue(track(3));
    await a.core.flush(); // a's own delivery finds the first three gone from the shared queue
    a.core.flushOnUnload();
    expect(beacons).toEqual([]);
    expect(sentIds()).toHaveLength(4);
  });
});

describe('storage failures and ordering', () => {
  it('an event stored before flush() is sent by that flush, even when the store is slow', async () => {
    const memory = memoryStorage();
    const slow: QueueStorage = async (fn) => {
      await new Promise((r) => setTimeout(r, 20)); // every edit waits, the same for each: call order holds
      return memory(fn);
    };
    const { core } = recordedCore({ storage: slow, flushAt: 1000, flushInterval: 60_000 });
    void core.enqueue(track(1)); // not awaited, as an app calls track()
    await core.flush();
    expect(sentIds()).toHaveLength(1);
  });

  it('a queue that fails once is tried again after flushInterval, without another call', async () => {
    const memory = memoryStorage();
    let failures = 0;
    const flaky: QueueStorage = async (fn) => {
      // the first edit after the event is stored (the claim) fails
      if ((await memory((l) => l.length)) > 0 && failures++ === 0) throw new Error('disk I/O error');
      return memory(fn);
    };
    const { core, log } = recordedCore({ storage: flaky, flushAt: 1, flushInterval: 50 });
    await core.enqueue(track(1));
    await vi.waitFor(() => expect(sentIds()).toHaveLength(1), { timeout: 2_000 });
    expect(log.error).toEqual([expect.objectContaining({ code: 'storage', message: 'disk I/O error' })]);
  });

  it('an event the store refuses is reported as not queued, and not sent on unload', async () => {
    const beacons: string[] = [];
    const refusing: QueueStorage = async () => {
      throw new Error('QuotaExceededError');
    };
    const { core, log } = recordedCore({ storage: refusing, beacon: (_u, b) => beacons.push(b) > 0 });
    const event = track(1);
    await core.enqueue(event);
    expect(log.dropped).toEqual([
      expect.objectContaining({ reason: 'not_queued', messageIds: [event.messageId] }),
    ]);
    expect(log.error[0]).toMatchObject({ code: 'storage' });
    core.flushOnUnload();
    expect(beacons).toEqual([]);
  });

  it("wakes up when another client's lease ends, and sends what that client left (a closed tab)", async () => {
    const shared = memoryStorage();
    const { core } = recordedCore({ storage: shared, flushAt: 1000, flushInterval: 60_000 });
    await core.enqueue(track(1));
    // another client claimed it and went away: leased for 150 ms more
    await shared((list) => {
      list[0]!.until = Date.now() + 150;
    });
    await core.flush(); // finds nothing free now; must not wait for the 60 s interval either
    expect(sentIds()).toHaveLength(0);
    await vi.waitFor(() => expect(sentIds()).toHaveLength(1), { timeout: 2_000 });
  });
});

describe('shutdown', () => {
  it('delivers what is queued, waiting out retries within the timeout', async () => {
    collector.reply = (_b, n) =>
      n === 1
        ? new HttpResponse(null, { status: 503, headers: { 'retry-after': '0.2' } })
        : HttpResponse.json({ success: true, accepted: 1, duplicates: 0, rejected: 0 });
    const { core } = recordedCore({ flushAt: 1000, flushInterval: 60_000 });
    for (let i = 0; i < 5; i++) await core.enqueue(track(i));
    await expect(shutdown(core, 2_000)).resolves.toEqual({ undelivered: 0 });
    expect(new Set(sentIds()).size).toBe(5);
  });

  it('reports what it could not deliver in time', async () => {
    collector.reply = () => new HttpResponse(null, { status: 503, headers: { 'retry-after': '60' } });
    const { core } = recordedCore();
    for (let i = 0; i < 4; i++) await core.enqueue(track(i));
    const t = Date.now();
    await expect(shutdown(core, 300)).resolves.toEqual({ undelivered: 4 });
    expect(Date.now() - t).toBeLessThan(1_000);
  });
});

describe('settings', () => {
  it('are validated once, naming the field', () => {
    expect(() => recordedCore({ writeKey: '' })).toThrow(ValidationError);
    expect(() => recordedCore({ host: 'collector.test' })).toThrow(/host/);
    expect(() => recordedCore({ leaseMs: 5_000, timeoutMs: 10_000 })).toThrow(/leaseMs/);
    try {
      recordedCore({ flushAt: 0 });
    } catch (e) {
      expect(e).toMatchObject({ field: 'flushAt' });
    }
    expect.assertions(4);
  });
});
