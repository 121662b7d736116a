import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, TEST_CONFIG } from '../../test/app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from '../../test/databases.js';
import { createApp } from '../app.js';
import { Hub } from '../realtime/hub.js';
import type { Storage } from '../storage/types.js';
import { createOrgWithWriteKey } from '../testing.js';

/** JSON log lines written by the app. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe.each(DIALECTS)('JSON logs on %s', (dialect) => {
  let db: TestDatabase;
  let writeKey: string;
  beforeAll(async () => {
    db = await freshDatabase(dialect);
    ({ writeKey } = await createOrgWithWriteKey(db.storage, 'Logs'));
  });
  afterAll(() => db.drop());

  const post = (app: ReturnType<typeof createApp>, headers: Record<string, string> = {}) =>
    app.request('/v1/batch', {
      method: 'POST',
      headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ batch: [event()] }),
    });

  it('one access line per request: request id, method, path, route, status, duration; no credentials', async () => {
    const { logger, lines } = capture();
    const app = createApp({ storage: db.storage, logger, hub: new Hub(), config: TEST_CONFIG });
    const res = await post(app, { 'x-request-id': 'req-123' });
    expect(res.status).toBe(200);
    const access = lines.filter((l) => l.msg === 'request');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      requestId: 'req-123',
      method: 'POST',
      path: '/v1/batch',
      route: '/v1/batch',
      status: 200,
    });
    expect(typeof access[0]!.durationMs).toBe('number');
    expect(JSON.stringify(lines)).not.toContain(writeKey);
  });

  it('a 500 logs the error with its stack on the server; the client gets the request id only', async () => {
    const { logger, lines } = capture();
    // A storage whose ingest fails with a bug (not an outage).
    const broken = new Proxy(db.storage, {
      get: (t, p, r) =>
        p === 'ingest'
          ? async () => {
              throw new TypeError('cannot read properties of undefined (secret internals)');
            }
          : Reflect.get(t, p, r),
    }) as Storage;
    const app = createApp({ storage: broken, logger, hub: new Hub(), config: TEST_CONFIG });
    const res = await post(app);
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).not.toContain('secret internals');
    expect(body).not.toMatch(/\bat \S+ \(/);
    const { requestId } = JSON.parse(body) as { requestId: string };
    const error = lines.find((l) => l.level === 50);
    expect(error).toMatchObject({ requestId, path: '/v1/batch' });
    expect((error!.err as { stack: string }).stack).toContain('secret internals');
    expect((error!.err as { stack: string }).stack).toMatch(/\n\s+at /);
  });
});
