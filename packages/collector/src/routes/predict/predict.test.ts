import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithAnalysis, userWithToken } from '../../../test/app.js';
import { freshDatabase, type TestDatabase } from '../../../test/databases.js';
import type { AnalysisServices } from '../../analysis/index.js';

describe('POST /v1/predict/sentiment', () => {
  let db: TestDatabase;
  let analysis: AnalysisServices;
  let app: ReturnType<typeof appWithAnalysis>['app'];
  let headers: Record<string, string>;
  beforeAll(async () => {
    db = await freshDatabase('sqlite');
    ({ app, analysis } = appWithAnalysis(db.storage));
    const org = await db.storage.createOrganization('P', 'p');
    ({ headers } = await userWithToken(db.storage, org, 'viewer'));
  });
  afterAll(async () => {
    await analysis.close();
    await db.drop();
  });

  const post = (path: string, body: unknown, h = headers) =>
    app.request(path, {
      method: 'POST',
      headers: { ...h, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('scores one text, then serves the same text from the cache', async () => {
    const res = await post('/v1/predict/sentiment', { text: 'This is the worst support I have ever had' });
    expect(res.status).toBe(200);
    const p = (await res.json()) as {
      label: string;
      scores: Record<string, number>;
      confidence: number;
      cached: boolean;
    };
    expect(p.label).toBe('negative');
    expect(p.scores.positive! + p.scores.negative! + p.scores.neutral!).toBeCloseTo(1, 2);
    expect(p.cached).toBe(false);
    const again = (await (
      await post('/v1/predict/sentiment', { text: 'This is the worst support I have ever had' })
    ).json()) as {
      cached: boolean;
      label: string;
    };
    expect(again).toMatchObject({ cached: true, label: 'negative' });
  });

  it('scores a batch of up to 32 in order, and rejects 33 with a field error', async () => {
    const texts = ['I absolutely love it!', 'Terrible, broken, refund me now', 'The meeting is at 3pm'];
    const res = await post('/v1/predict/sentiment/batch', { texts });
    const body = (await res.json()) as { predictions: Array<{ label: string }> };
    expect(body.predictions.map((p) => p.label)).toEqual(['positive', 'negative', 'neutral']);
    const tooMany = await post('/v1/predict/sentiment/batch', {
      texts: Array.from({ length: 33 }, () => 'x'),
    });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ code: 'validation_failed', details: [{ field: 'texts' }] });
    expect((await post('/v1/predict/sentiment', { text: '' })).status).toBe(400);
  });

  it('requires an access token', async () => {
    expect((await post('/v1/predict/sentiment', { text: 'hi' }, {})).status).toBe(401);
  });

  it('answers 503 with Retry-After when the pool is down, and keeps answering', async () => {
    await analysis.pool.close();
    const res = await post('/v1/predict/sentiment', { text: 'hello' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect((await app.request('/healthz')).status).toBe(200);
  });
});
