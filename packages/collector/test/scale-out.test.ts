import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from './databases.js';
import { connect, liveOrg } from './live.js';
import { sample } from './metrics-text.js';
import {
  freePort,
  type HeedProcess,
  heedEnv,
  runHeed,
  startCollectorProcess,
  stopProcess,
} from './processes.js';

/**
 * Scale-out as DESIGN.md describes it: two `heed start` instances and one `heed worker`, as separate
 * processes on one PostgreSQL database and one Redis. Every event is sent to both instances.
 */
describe('scale-out: 2 collectors + 1 worker on PostgreSQL and Redis', () => {
  const EVENTS = 400;
  let db: TestDatabase;
  const procs: HeedProcess[] = [];
  const urls: string[] = [];
  let workerMetrics = '';
  let org: Awaited<ReturnType<typeof liveOrg>>;

  beforeAll(async () => {
    db = await freshDatabase('postgres');
    org = await liveOrg(db.storage, 'Scale');
    const shared = {
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `heed-scale-${process.pid}-${Date.now()}:`,
    };
    const starts = [0, 1].map(async () => {
      const port = await freePort();
      procs.push(await startCollectorProcess(heedEnv(db, shared), port));
      urls.push(`http://127.0.0.1:${port}`);
    });
    const worker = runHeed(
      'worker',
      heedEnv(db, { ...shared, METRICS_PORT: '0' }),
      /metrics on port (\d+)/,
    ).then((w) => {
      procs.push(w);
      workerMetrics = `http://127.0.0.1:${w.output().match(/metrics on port (\d+)/)![1]}/metrics`;
    });
    await Promise.all([...starts, worker]);
  }, 60_000);
  afterAll(async () => {
    // Server-side errors (with stacks) help explain a failure.
    for (const p of procs)
      for (const l of p.output().split('\n')) if (l.includes('"level":50')) console.error(l);
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGTERM')));
    await db.drop();
  });

  it('events sent to both instances are stored once, analysed once, and every SSE client sees every event', async () => {
    const clients = urls.map((u) => connect(`${u}/v1/stream`, { token: org.token }));
    await Promise.all(clients.map((c) => c.opened));
    const batches = Array.from({ length: EVENTS / 50 }, (_, b) =>
      JSON.stringify({
        batch: Array.from({ length: 50 }, (_, i) => ({
          type: 'track',
          messageId: `scale-${b}-${i}`,
          userId: `customer-${i % 7}`,
          event: 'Chat Message',
          properties: { content: i % 2 ? 'Thanks, that fixed it!' : 'The app keeps crashing, very annoying' },
          context: { channel: 'chat' },
        })),
      }),
    );
    // Every batch to both instances at once: they race to store the same messageIds.
    const answers = await Promise.all(
      batches.flatMap((body) =>
        urls.map(async (u) => {
          const res = await fetch(`${u}/v1/batch`, {
            method: 'POST',
            headers: { authorization: `Bearer ${org.writeKey}`, 'content-type': 'application/json' },
            body,
          });
          expect(res.status, await res.clone().text()).toBe(200);
          return (await res.json()) as { accepted: number; duplicates: number };
        }),
      ),
    );
    expect(answers.reduce((n, a) => n + a.accepted, 0)).toBe(EVENTS);
    expect(answers.reduce((n, a) => n + a.duplicates, 0)).toBe(EVENTS);
    expect(await db.storage.countInteractions(org.organizationId)).toBe(EVENTS);

    // Both instances' clients see all the events, whichever instance stored them (Redis fan-out).
    const created = (c: (typeof clients)[number]) =>
      new Set(
        c
          .events()
          .filter((e) => e.type === 'interaction.created')
          .map((e) => String(e.data.id)),
      );
    await Promise.all(clients.map((c) => c.until(() => created(c).size >= EVENTS, 15_000)));
    for (const c of clients) expect(created(c).size).toBe(EVENTS);

    // Analysis: three dispatchers compete (both instances and the worker); each row is scored once.
    const deadline = Date.now() + 45_000;
    while ((await db.storage.analysis.backlog()) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    expect(await db.storage.analysis.backlog()).toBe(0);
    const scrapes = await Promise.all(
      [...urls.map((u) => `${u}/metrics`), workerMetrics].map(async (u) => (await fetch(u)).text()),
    );
    const analysed = scrapes.map((t) => sample(t, 'heed_analysis_rows_total') ?? 0);
    expect(analysed.reduce((a, b) => a + b, 0)).toBe(EVENTS);
    expect(analysed[2], 'the worker took part').toBeGreaterThan(0);
    // What the instances' /metrics say about the same run.
    const collectors = scrapes.slice(0, 2);
    const total = (name: string, labels: Record<string, string> = {}) =>
      collectors.reduce((n, t) => n + (sample(t, name, labels) ?? 0), 0);
    expect(total('heed_events_total', { outcome: 'accepted' })).toBe(EVENTS);
    expect(total('heed_events_total', { outcome: 'duplicate' })).toBe(EVENTS);
    for (const t of collectors) {
      expect(sample(t, 'heed_sse_connections')).toBe(1);
      expect(sample(t, 'heed_sse_messages_total')).toBeGreaterThan(0);
      expect(sample(t, 'heed_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
    }
    for (const c of clients) {
      await c.until(
        () =>
          new Set(
            c
              .events()
              .filter((e) => e.type === 'sentiment.analyzed')
              .map((e) => String(e.data.id)),
          ).size >= EVENTS,
        15_000,
      );
    }
    for (const c of clients) c.close();
  }, 120_000);
});
