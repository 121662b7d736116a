import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithAnalysis, userWithToken } from '../../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../../test/databases.js';
import type { AnalysisServices } from '../../analysis/index.js';

const DAY = 86_400_000;

describe.each(DIALECTS)('GET /api/patterns/:customerId on %s', (dialect) => {
  let db: TestDatabase;
  let analysis: AnalysisServices;
  let app: ReturnType<typeof appWithAnalysis>['app'];
  let org: string;
  let headers: Record<string, string>;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
    ({ app, analysis } = appWithAnalysis(db.storage));
    org = await db.storage.createOrganization('Patterns', 'patterns');
    ({ headers } = await userWithToken(db.storage, org, 'viewer'));
    // A customer who writes to support by email nearly every day, always in the evening, ever more upset.
    const now = Date.now();
    const rows = Array.from({ length: 20 }, (_, i) => ({
      id: crypto.randomUUID(),
      messageId: `p-${i}`,
      externalId: 'loyal-but-angry',
      timestamp: new Date(Math.floor((now - (20 - i) * DAY) / DAY) * DAY + 20 * 3_600_000),
      receivedAt: new Date(),
      channel: 'email' as const,
      eventType: 'Support Email',
      content: `message ${i}`,
      metadata: {},
      segment: null,
      traits: null,
    }));
    await db.storage.ingest(org, rows);
    const claimed = await db.storage.analysis.claim(32, 60_000);
    await db.storage.analysis.complete(
      claimed.map((c) => {
        const i = Number(c.content.split(' ')[1]);
        const negative = Math.min(0.95, 0.05 + i * 0.045);
        return {
          id: c.id,
          sentiment: {
            label: negative > 0.5 ? 'negative' : 'positive',
            positive: 0.95 - negative,
            negative,
            neutral: 0.05,
          },
          confidence: Math.max(negative, 0.95 - negative),
        };
      }),
    );
  });
  afterAll(async () => {
    await analysis.close();
    await db.drop();
  });

  it('returns confident patterns, stores them and serves them from the cache', async () => {
    const customer = await db.storage.getCustomerByExternalId(org, 'loyal-but-angry');
    const res = await app.request(`/api/patterns/${customer!.id}`, { headers });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as {
      data: Array<{
        patternType: string;
        confidence: number;
        frequency: number;
        description: string;
        detectedAt: string;
      }>;
    };
    const types = data.map((p) => p.patternType);
    expect(types).toContain('channel_preference');
    expect(types).toContain('sentiment_trend');
    for (const p of data) {
      expect(p.confidence).toBeGreaterThanOrEqual(0.7);
      expect(p.confidence).toBeLessThanOrEqual(1);
      expect(p.frequency).toBeGreaterThan(0);
    }
    expect(data.map((p) => p.confidence)).toEqual([...data.map((p) => p.confidence)].sort((a, b) => b - a));
    expect(data.find((p) => p.patternType === 'channel_preference')?.description).toMatch(/email/i);
    const stored = await db.storage.signals.listPatterns(org, customer!.id);
    expect(stored.map((p) => p.id).sort()).toEqual(
      (data as unknown as Array<{ id: string }>).map((p) => p.id).sort(),
    );
    const again = (await (
      await app.request(`/api/patterns/${customer!.id}`, { headers })
    ).json()) as typeof data & {
      data: typeof data;
    };
    expect(again.data.map((p) => p.detectedAt)).toEqual(data.map((p) => p.detectedAt));
  });

  it('answers 404 for another organization customer and 400 for a malformed id', async () => {
    const customer = await db.storage.getCustomerByExternalId(org, 'loyal-but-angry');
    const otherOrg = await db.storage.createOrganization('Other', 'other-patterns');
    const other = await userWithToken(db.storage, otherOrg, 'admin');
    const res = await app.request(`/api/patterns/${customer!.id}`, { headers: other.headers });
    expect(res.status).toBe(404);
    expect((await app.request('/api/patterns/not-a-uuid', { headers })).status).toBe(400);
    expect((await app.request(`/api/patterns/${customer!.id}`)).status).toBe(401);
  });
});
