import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithOrg } from './app.js';
import { freshDatabase, type TestDatabase } from './databases.js';

type Doc = {
  openapi: string;
  paths: Record<
    string,
    Record<string, { responses?: Record<string, unknown>; parameters?: { name: string }[] }>
  >;
};

describe('GET /openapi.json', () => {
  let db: TestDatabase;
  let app: Awaited<ReturnType<typeof appWithOrg>>['app'];
  let doc: Doc;

  beforeAll(async () => {
    db = await freshDatabase('sqlite');
    app = (await appWithOrg(db.storage)).app;
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
  });
  afterAll(() => db.drop());

  it('documents every route the app answers', () => {
    const missing: string[] = [];
    for (const r of app.routes) {
      if (r.method === 'ALL') continue; // middleware
      if (r.path.endsWith('/*')) continue; // static file trees (dashboard assets), not API operations
      const path = r.path.replace(/:(\w+)/g, '{$1}');
      if (!doc.paths[path]?.[r.method.toLowerCase()]) missing.push(`${r.method} ${r.path}`);
    }
    expect([...new Set(missing)]).toEqual([]);
  });

  it('describes the insights API from its schemas', () => {
    expect(doc.openapi).toBe('3.1.0');
    const insights = doc.paths['/api/insights']?.get;
    expect(insights?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'from',
        'to',
        'channels',
        'minSentiment',
        'segments',
        'page',
        'pageSize',
        'sortBy',
        'order',
      ]),
    );
    expect(Object.keys(insights?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401']));
    expect(doc.paths['/v1/batch']?.post?.responses?.['200']).toBeDefined();
    expect(doc.paths['/healthz']?.get).toBeDefined();
    expect(doc.paths['/api/customers/{id}']?.get).toBeDefined();
  });
});
