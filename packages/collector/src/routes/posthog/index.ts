import { LIMITS } from '@heed/protocol';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';
import { DEFAULT_BODY_LIMITS, parseJson, readRawBody } from '../../ingest/body.js';
import { answer, ingestTranslated, resolveRequestKey } from '../../ingest/compat.js';
import { ingestCors } from '../../middleware/ingest-cors.js';
import { fromPosthog, POSTHOG_FIELD_NAMES } from './map.js';
import { decodePosthogBody, sentAtFromQuery, splitPosthogPayload } from './parse.js';

/** PostHog's capture paths, each with and without the trailing slash. */
export const POSTHOG_PATHS = ['/batch', '/capture', '/e', '/i/v0/e'] as const;

/**
 * PostHog's capture API, so that PostHog libraries work by changing only their host: a Heed write key
 * is the project api key (`api_key` or `token` in the body, or on the events).
 *
 * Status codes follow what PostHog's libraries do with them (posthog-node retries 408, 429 and 5xx,
 * halves its batch on 413 and drops the batch on any other 4xx):
 * - 200 `{ status: 1 }` when every event is stored, or was already (same `uuid`);
 * - 400 for a malformed body, or when some events are invalid (the valid ones are stored, so
 *   dropping the batch loses nothing that retrying could store);
 * - 401 for a missing or unknown key, 403 for an origin the key does not allow;
 * - 413 over 500 KB (compressed or not) or 1000 events, so that posthog-node splits the batch;
 * - 503 with Retry-After while the database is unavailable: nothing was stored, so the client retries.
 */
export function posthogRoutes(ctx: AppContext) {
  const app = new OpenAPIHono();
  const cors = ingestCors();
  const handler = (c: Context) => capture(ctx, c);
  for (const base of POSTHOG_PATHS) {
    for (const path of [base, `${base}/`]) {
      app.use(path, cors);
      app.post(path, handler);
    }
    document(app, `${base}/`);
  }
  return app;
}

async function capture(ctx: AppContext, c: Context) {
  const receivedAt = Date.now();
  const raw = await readRawBody(c, DEFAULT_BODY_LIMITS);
  const json = decodePosthogBody(raw, {
    contentType: (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase(),
    compression: c.req.query('compression') ?? c.req.header('compression'),
    maxBytes: DEFAULT_BODY_LIMITS.maxBytes,
  });
  const payload = splitPosthogPayload(parseJson(json, DEFAULT_BODY_LIMITS.maxDepth));
  if (payload.events.length > LIMITS.maxBatchEvents) {
    throw new HeedError('payload_too_large', `A batch holds at most ${LIMITS.maxBatchEvents} events`);
  }
  const key = await resolveRequestKey(ctx, c, payload.token);
  const sentAt = payload.sentAt ?? sentAtFromQuery(c.req.query('_'));
  const retryCount = Number.parseInt(c.req.query('retry_count') ?? '', 10);
  const opts = {
    receivedAt,
    sentAt,
    retryCount: Number.isFinite(retryCount) ? retryCount : undefined,
    fromBrowser: c.req.header('origin') !== undefined,
  };
  const items = payload.events.map((e) => fromPosthog(e, opts));
  const result = await ingestTranslated(ctx, c, key.organizationId, items, { receivedAt, sentAt });
  return answer(c, result, items.length, { status: 1 }, POSTHOG_FIELD_NAMES);
}

const answerSchema = z
  .object({
    status: z.literal(1),
    accepted: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.number().int(),
  })
  .openapi('PosthogAnswer');

/** Raw bodies (gzip, base64 forms) are parsed by hand, so these paths are documented, not validated. */
function document(app: OpenAPIHono, path: string) {
  app.openAPIRegistry.registerPath({
    method: 'post',
    path,
    tags: ['Compatibility: PostHog'],
    summary: `PostHog capture (${path}; also without the trailing slash)`,
    description:
      'PostHog-compatible capture: one event, an array of events, or `{ api_key, batch, sent_at }`. ' +
      'The write key is `api_key`/`token` (body or events). Bodies may be gzip (detected by magic bytes), ' +
      '`data=<base64>` forms (`compression=base64`) or plain JSON. Query: `compression`, `_` (client ms), `retry_count`.',
    request: {
      query: z.object({
        compression: z.enum(['gzip-js', 'gzip', 'base64']).optional(),
        _: z.string().optional(),
        retry_count: z.string().optional(),
      }),
      body: {
        content: {
          'application/json': { schema: z.looseObject({}) },
          'text/plain': { schema: z.string() },
          'application/x-www-form-urlencoded': { schema: z.object({ data: z.string() }) },
        },
      },
    },
    responses: {
      200: {
        description: 'Stored (or already stored)',
        content: { 'application/json': { schema: answerSchema } },
      },
      400: { description: 'Malformed body, or some events rejected (the valid ones are stored)' },
      401: { description: 'Missing or unknown api key' },
      403: { description: "Origin not in the key's allowed origins" },
      413: { description: 'Over 500 KB or 1000 events: split the batch' },
      503: { description: 'Database unavailable; nothing stored, retry' },
    },
  });
}
