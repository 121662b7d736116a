import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { Hub } from '../src/realtime/hub.js';
import { appWithOrg, event, TEST_CONFIG } from './app.js';
import { DIALECTS, freshDatabase, type TestDatabase } from './databases.js';

/**
 * Hostile input at every ingest endpoint (native, Segment, PostHog): wrong types, huge and tiny
 * sizes, odd unicode, deep nesting, huge numbers, `__proto__` keys, bad encodings. Never a 5xx, never
 * a crash; in a batch the valid neighbours of a bad item are stored. In process (app.request) to keep
 * 10,000+ cases fast; PostgreSQL runs a tenth of them.
 */
const RUNS = { sqlite: 1, postgres: 0.1 } as const;

const SEGMENT_SINGLE = [
  '/v1/track',
  '/v1/identify',
  '/v1/page',
  '/v1/screen',
  '/v1/group',
  '/v1/alias',
  '/v1/t',
  '/v1/i',
  '/v1/p',
  '/v1/s',
  '/v1/g',
  '/v1/a',
];
const POSTHOG = ['/batch/', '/capture/', '/e/', '/i/v0/e/', '/batch', '/e'];
const ALL = ['/v1/batch', '/v1/b', ...SEGMENT_SINGLE, ...POSTHOG];

const FIELDS = [
  'type',
  'messageId',
  'timestamp',
  'userId',
  'anonymousId',
  'event',
  'properties',
  'context',
  'traits',
  'sentAt',
  'name',
  'category',
  'uuid',
  'distinct_id',
  'api_key',
  'writeKey',
  'batch',
  'offset',
  '$set',
];

/** JSON texts that are valid JSON but hostile as an event or a field. */
const hostileJson: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => JSON.stringify(s)), // lone surrogates, controls
  fc.constantFrom(
    '1e400',
    '-1e400',
    '123456789012345678901234567890',
    '-0',
    '0.000000000000000000000001e-400',
    '"\\ud800"',
    '"\\udfff\\ud800"',
    '"\\u0000"',
    '"\u202e\u200b\ufeff"',
    '""',
    '" "',
    '[]',
    '{}',
    'null',
    'true',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"type":"track","__proto__":{"type":"identify"},"messageId":"p1","userId":"u"}',
    `"${'x'.repeat(40_000)}"`,
    `"${'é'.repeat(20_000)}"`,
    `${'['.repeat(25)}1${']'.repeat(25)}`,
    `${'{"a":'.repeat(25)}1${'}'.repeat(25)}`,
  ),
);

/** A valid event with one field replaced by something hostile (as JSON text). */
const mutatedEvent: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...FIELDS), hostileJson, fc.boolean())
  .map(([field, value, nested]) => {
    const base = JSON.stringify(event({ messageId: `fz-${Math.random()}` }));
    const where = nested ? '"properties":{' : '{';
    const at = base.indexOf(where) + where.length;
    return `${base.slice(0, at)}${JSON.stringify(field)}:${value},${base.slice(at)}`;
  });

const badItem = fc.oneof(hostileJson, mutatedEvent);

/** Raw bodies: not JSON, not UTF-8, wrong gzip, base64 forms, too deep, too big, empty. */
interface RawBody {
  body: Uint8Array | string;
  headers: Record<string, string>;
}
const rawBody: fc.Arbitrary<RawBody> = fc.oneof<fc.Arbitrary<RawBody>[]>(
  fc
    .uint8Array({ maxLength: 200 })
    .map((b) => ({ body: b, headers: { 'content-type': 'application/json' } })),
  fc
    .string({ unit: 'binary', maxLength: 200 })
    .map((s) => ({ body: s, headers: { 'content-type': 'text/plain' } })),
  fc.uint8Array({ maxLength: 60 }).map((b) => ({
    body: new Uint8Array([0x1f, 0x8b, ...b]), // gzip magic, garbage after
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
  })),
  fc.string({ maxLength: 80 }).map((s) => ({
    body: `data=${encodeURIComponent(s)}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })),
  fc.constantFrom<RawBody[]>(
    { body: '', headers: { 'content-type': 'application/json' } },
    { body: new Uint8Array([0xff, 0xfe, 0xfd, 0x7b, 0x7d]), headers: { 'content-type': 'application/json' } },
    {
      body: `{"batch":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      headers: { 'content-type': 'application/json' },
    },
    { body: `{"batch":[${'1,'.repeat(300_000)}1]}`, headers: { 'content-type': 'application/json' } },
    { body: `{"batch":[{}]`, headers: { 'content-type': 'application/json' } },
    {
      body: gzipSync(Buffer.alloc(2_000_000, 32)),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    },
    { body: 'data=!!!notbase64', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    { body: '{"batch":[]}', headers: { 'content-type': 'application/json', 'content-encoding': 'br' } },
  ),
);

describe.each(DIALECTS)('fuzzing the ingest endpoints on %s', (dialect) => {
  let db: TestDatabase;
  let app: ReturnType<typeof createApp>;
  let organizationId: string;
  let writeKey: string;
  const neighbours: string[] = [];
  const runs = (n: number) => Math.max(50, Math.round(n * RUNS[dialect]));

  beforeAll(async () => {
    db = await freshDatabase(dialect);
    const t = await appWithOrg(db.storage, 'Fuzz');
    organizationId = t.organizationId;
    writeKey = t.writeKey;
    // Rate limits off: thousands of requests from one "client".
    const rateLimits = { ipPerMinute: 0, userPerMinute: 0, authPerMinute: 0, loginFailuresPer15Min: 0 };
    app = createApp({
      storage: db.storage,
      logger: createLogger('silent'),
      hub: new Hub(),
      config: { ...TEST_CONFIG, rateLimits },
    });
  });
  afterAll(() => db.drop());

  const auth = () => ({ authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` });

  async function send(path: string, body: Uint8Array | string, headers: Record<string, string>) {
    const res = await app.request(path, { method: 'POST', headers: { ...auth(), ...headers }, body });
    const text = await res.text();
    expect(res.status, `${path} answered ${res.status}: ${text.slice(0, 300)}`).toBeLessThan(500);
    return { status: res.status, text };
  }

  it('batches with a hostile item: never a 5xx, and the valid neighbours are stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/batch', '/v1/b', '/batch/'), badItem, async (path, item) => {
        const posthog = path === '/batch/';
        const ids = [`nb-${neighbours.length}-a`, `nb-${neighbours.length}-b`];
        const valid = ids.map((id) =>
          JSON.stringify(
            posthog
              ? {
                  event: 'Chat',
                  distinct_id: 'fuzz-user',
                  uuid: id,
                  timestamp: new Date().toISOString(),
                  properties: { $lib: 'posthog-node', content: 'hello' },
                }
              : event({ messageId: id, userId: 'fuzz-user' }),
          ),
        );
        const body = posthog
          ? `{"api_key":${JSON.stringify(writeKey)},"batch":[${valid[0]},${item},${valid[1]}]}`
          : `{"batch":[${valid[0]},${item},${valid[1]}]}`;
        const { status, text } = await send(path, body, { 'content-type': 'application/json' });
        const answer = JSON.parse(text) as { accepted?: number; duplicates?: number; code?: string };
        // Either the whole body was refused (too deep or too big: nothing stored), or the neighbours were.
        if (status === 200 || answer.accepted !== undefined) {
          expect(
            (answer.accepted ?? 0) + (answer.duplicates ?? 0),
            text.slice(0, 300),
          ).toBeGreaterThanOrEqual(2);
          neighbours.push(...ids);
        } else {
          expect(['bad_request', 'payload_too_large', 'invalid_json', 'validation_failed'], text).toContain(
            answer.code,
          );
        }
      }),
      { numRuns: runs(4000) },
    );
    const stored = new Set(
      (await db.storage.listInteractions({ organizationId, limit: 1_000_000 })).map((i) => i.messageId),
    );
    for (const id of neighbours) expect(stored, id).toContain(id);
  });

  it('NUL characters and lone surrogates (valid JSON escapes) are stored as U+FFFD, not a 500', async () => {
    const e = event({ messageId: 'odd-unicode', userId: 'odd\\u0000user' });
    const body = JSON.stringify({ batch: [e] })
      .replace('"plan":"pro"', '"plan":"\\ud800pro\\u0000","\\udfffkey":1')
      .replace('"odd\\\\u0000user"', '"odd\\u0000user"');
    const { status, text } = await send('/v1/batch', body, { 'content-type': 'application/json' });
    expect(status, text).toBe(200);
    const all = await db.storage.listInteractions({ organizationId, limit: 1_000_000 });
    const stored = all.find((i) => i.messageId === 'odd-unicode');
    expect(JSON.stringify(stored?.metadata)).toContain('\ufffdpro\ufffd');
  });

  it('single-event endpoints with hostile events: never a 5xx; a valid event right after is stored', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEGMENT_SINGLE, ...POSTHOG), badItem, async (path, item) => {
        await send(path, item, { 'content-type': n % 2 ? 'text/plain' : 'application/json' });
        if (++n % 10 === 0) {
          const id = `after-${n}`;
          const { status, text } = await send(
            path.startsWith('/v1/') ? '/v1/track' : '/capture/',
            JSON.stringify(
              path.startsWith('/v1/')
                ? event({ messageId: id })
                : { api_key: writeKey, event: 'x', distinct_id: 'u', uuid: id, properties: {} },
            ),
            { 'content-type': 'application/json' },
          );
          expect(status, text).toBe(200);
        }
      }),
      { numRuns: runs(3000) },
    );
  });

  it('bodies that are not JSON, not UTF-8, bad gzip or base64, too deep or too big: a 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ALL), rawBody, async (path, { body, headers }) => {
        const { status } = await send(path, body, headers);
        expect(status).toBeGreaterThanOrEqual(200);
      }),
      { numRuns: runs(3500) },
    );
    // Nothing leaked into the prototype of plain objects.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
