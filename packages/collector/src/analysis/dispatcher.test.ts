import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../test/databases.js';
import { memoryCache } from '../cache/kv.js';
import { createLogger } from '../logger.js';
import { Hub, type HubEvent } from '../realtime/hub.js';
import type { InteractionInput } from '../storage/types.js';
import { Dispatcher } from './dispatcher.js';
import { SentimentPool } from './pool.js';
import { Predictor } from './predictor.js';

let n = 0;
function row(externalId: string, content: string | null): InteractionInput {
  n++;
  return {
    id: crypto.randomUUID(),
    messageId: `an-${n}-${Math.random()}`,
    externalId,
    timestamp: new Date(Date.now() - 60_000 + n),
    receivedAt: new Date(Date.now() + n),
    channel: 'chat',
    eventType: 'Chat Message',
    content,
    metadata: {},
    segment: null,
    traits: null,
  };
}

describe.each(DIALECTS)('analysis dispatcher on %s', (dialect) => {
  let db: TestDatabase;
  let org: string;
  let pool: SentimentPool;
  const logger = createLogger('silent');
  beforeAll(async () => {
    db = await freshDatabase(dialect);
    org = await db.storage.createOrganization('Analysis', 'analysis');
    pool = new SentimentPool({ threads: 1 });
  });
  afterAll(async () => {
    await pool.close();
    await db.drop();
  });

  const drain = async (d: Dispatcher) => {
    while ((await d.runOnce()) > 0) {}
  };

  it('scores stored texts, updates the customer average and publishes sentiment.analyzed', async () => {
    const hub = new Hub();
    const events: HubEvent[] = [];
    hub.subscribe((o, e) => o === org && events.push(e));
    const rows = [
      row('happy', 'I love this product, it is fantastic and the support team is wonderful!'),
      row('happy', 'Amazing update, thank you so much, great work'),
      row('angry', 'This is terrible, the app keeps crashing and nobody answers. Awful service.'),
      row('page', null),
    ];
    await db.storage.ingest(org, rows);
    const d = new Dispatcher({
      store: db.storage.analysis,
      predictor: new Predictor(pool, memoryCache()),
      hub,
      logger,
    });
    await drain(d);
    const happy = await db.storage.getCustomerByExternalId(org, 'happy');
    const angry = await db.storage.getCustomerByExternalId(org, 'angry');
    expect(happy!.averageSentiment!).toBeGreaterThan(0.3);
    expect(angry!.averageSentiment!).toBeLessThan(-0.3);
    const [scored] = await db.storage.listInteractions({ organizationId: org, customerId: angry!.id });
    expect(scored!.sentiment!.label).toBe('negative');
    expect(scored!.processedAt).toBeInstanceOf(Date);
    const s = scored!.sentiment!;
    expect(s.positive + s.negative + s.neutral).toBeCloseTo(1, 2);
    expect(scored!.sentimentConfidence).toBeCloseTo(Math.max(s.positive, s.negative, s.neutral), 5);
    expect(events.filter((e) => e.type === 'sentiment.analyzed')).toHaveLength(3);
    // A row without text is never a job.
    const page = await db.storage.getCustomerByExternalId(org, 'page');
    const [pageRow] = await db.storage.listInteractions({ organizationId: org, customerId: page!.id });
    expect(pageRow!.processedAt).toBeNull();
    expect(await db.storage.analysis.backlog()).toBe(0);
  });

  it('picks up the rows of a worker that crashed mid-batch once its lease expires', async () => {
    const rows = [
      row('crash', 'The refund took three weeks, really disappointed'),
      row('crash', 'ok thanks'),
    ];
    await db.storage.ingest(org, rows);
    // A worker claims the rows and dies before writing anything.
    const lost = await db.storage.analysis.claim(32, 200);
    expect(lost.map((r) => r.content).sort()).toEqual(rows.map((r) => r.content).sort());
    expect(await db.storage.analysis.claim(32, 200)).toEqual([]); // leased: nobody else takes them
    await new Promise((r) => setTimeout(r, 250));
    const d = new Dispatcher({
      store: db.storage.analysis,
      predictor: new Predictor(pool, memoryCache()),
      hub: new Hub(),
      logger,
    });
    await drain(d);
    const c = await db.storage.getCustomerByExternalId(org, 'crash');
    const stored = await db.storage.listInteractions({ organizationId: org, customerId: c!.id });
    expect(stored.every((i) => i.processedAt !== null)).toBe(true);
  });

  it('marks a text that keeps failing as failed, and scores its neighbours', async () => {
    const poison = 'POISON text that breaks the model';
    const rows = [
      row('mixed', 'Great service, thanks!'),
      row('mixed', poison),
      row('mixed', 'Slow delivery again'),
    ];
    await db.storage.ingest(org, rows);
    const flaky = Object.create(Predictor.prototype) as Predictor;
    const real = new Predictor(pool, memoryCache());
    Object.assign(flaky, {
      pool,
      predict: async (texts: string[]) => {
        if (texts.includes(poison)) throw new Error('tokenizer exploded');
        return real.predict(texts);
      },
    });
    const d = new Dispatcher({
      store: db.storage.analysis,
      predictor: flaky,
      hub: new Hub(),
      logger,
      maxAttempts: 2,
    });
    await drain(d); // first attempt fails, row released for retry
    await drain(d);
    const c = await db.storage.getCustomerByExternalId(org, 'mixed');
    const stored = await db.storage.listInteractions({ organizationId: org, customerId: c!.id });
    expect(stored.filter((i) => i.processedAt !== null)).toHaveLength(2);
    expect(await db.storage.analysis.backlog()).toBe(0); // the poison row is failed, not pending forever
    expect(await db.storage.analysis.claim(32, 1000)).toEqual([]);
  });

  it('gives rows back at once when writing the scores fails, and scores them on the next claim', async () => {
    const rows = [row('write', 'Checkout failed twice today'), row('write', 'Fixed now, thank you')];
    await db.storage.ingest(org, rows);
    let failures = 1;
    const store = Object.create(db.storage.analysis) as typeof db.storage.analysis;
    store.complete = async (results) => {
      if (failures-- > 0) throw new Error('deadlock detected');
      return db.storage.analysis.complete(results);
    };
    const d = new Dispatcher({
      store,
      predictor: new Predictor(pool, memoryCache()),
      hub: new Hub(),
      logger,
    });
    expect(await d.runOnce()).toBe(2); // claimed, scored, the write failed: released, not leased
    expect(await db.storage.analysis.backlog()).toBe(2);
    expect(await d.runOnce()).toBe(2); // claimable again at once (the lease is 60 s)
    expect(await db.storage.analysis.backlog()).toBe(0);
  });

  it('gives rows back untouched while the pool is down', async () => {
    const downPool = new SentimentPool({ threads: 1 });
    await downPool.close();
    const rows = [row('down', 'Where is my order?')];
    await db.storage.ingest(org, rows);
    const d = new Dispatcher({
      store: db.storage.analysis,
      predictor: new Predictor(downPool, memoryCache()),
      hub: new Hub(),
      logger,
      idleMs: 1,
    });
    for (let i = 0; i < 5; i++) await d.runOnce();
    const [pending] = await db.storage.analysis.claim(32, 1000);
    expect(pending?.content).toBe('Where is my order?');
    expect(pending?.attempts).toBe(1); // the outage did not use up its retries
    await db.storage.analysis.release([pending!.id]);
  });
});
