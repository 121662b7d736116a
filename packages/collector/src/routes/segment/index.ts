import { isPlainObject, LIMITS, parseBatchEnvelope, parseTimestamp } from '@heed/protocol';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';
import { DEFAULT_BODY_LIMITS, readJsonBody } from '../../ingest/body.js';
import { answer, ingestTranslated, resolveRequestKey } from '../../ingest/compat.js';
import { ingestCors } from '../../middleware/ingest-cors.js';
import { checkOrigin } from '../../middleware/write-key.js';
import { fromSegment, SEGMENT_SINGLE_PATHS } from './map.js';

/**
 * Segment's tracking API, so that Segment libraries work by changing only their host:
 * `/v1/{track,identify,page,screen,group,alias}` (one event a request), analytics.js's short paths
 * `/v1/{t,i,p,s,g,a}` and its batch path `/v1/b`. (`/v1/batch`, the native endpoint, already takes
 * Segment batches.) The write key goes in Basic auth (`writeKey:`) or in the body as `writeKey`;
 * bodies may be `text/plain`, as analytics.js sends them to avoid a preflight.
 *
 * Limits answer 400, as Segment documents: 32 KB for a one-event request, 500 KB for `/v1/b`.
 * Valid events are stored even when a neighbour is rejected (400 with per-event details).
 */
export function segmentRoutes(ctx: AppContext) {
  const app = new OpenAPIHono();
  const cors = ingestCors();

  for (const [name, type] of Object.entries(SEGMENT_SINGLE_PATHS)) {
    const path = `/v1/${name}`;
    app.use(path, cors);
    app.post(path, async (c) => {
      const receivedAt = Date.now();
      const body = await readSegmentBody(c, LIMITS.maxEventBytes);
      if (!isPlainObject(body)) {
        throw new HeedError('validation_failed', 'The body must be one event (a JSON object)');
      }
      const key = await resolveRequestKey(ctx, c, stringOr(body.writeKey));
      const event = fromSegment(body, { type, fromBrowser: c.req.header('origin') !== undefined });
      const result = await ingestTranslated(ctx, c, key.organizationId, [event], {
        receivedAt,
        sentAt: timestampOr(body.sentAt),
      });
      return answer(c, result, 1, { success: true });
    });
    document(app, path, `Segment ${type} call (one event)`);
  }

  app.use('/v1/b', cors);
  app.post('/v1/b', async (c) => {
    const receivedAt = Date.now();
    const body = await readSegmentBody(c, LIMITS.maxBatchBytes);
    const key = await resolveRequestKey(ctx, c, isPlainObject(body) ? stringOr(body.writeKey) : undefined);
    const envelope = parseBatchEnvelope(body);
    if (envelope.errors.length > 0) {
      throw new HeedError('validation_failed', 'The batch is malformed', { details: envelope.errors });
    }
    const fromBrowser = c.req.header('origin') !== undefined;
    const items = envelope.items.map((e) => fromSegment(e, { fromBrowser }));
    const result = await ingestTranslated(ctx, c, key.organizationId, items, {
      receivedAt,
      sentAt: envelope.sentAt,
    });
    return answer(c, result, items.length, { success: true });
  });
  document(app, '/v1/b', 'Segment analytics.js batch ({ batch, sentAt, writeKey })');

  // analytics.js (AnalyticsBrowser) reads its settings from `${cdnURL}/v1/projects/<writeKey>/settings`:
  // answering them here points it at this collector, so `cdnURL` is the only setting to change.
  const settingsPath = '/v1/projects/:writeKey/settings';
  app.use(settingsPath, ingestCors({ allowMethods: ['GET', 'OPTIONS'] }));
  app.get(settingsPath, async (c) => {
    const writeKey = c.req.param('writeKey');
    const key = await ctx.resolveKey(writeKey);
    checkOrigin(c, key);
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(browserSettings(writeKey, publicBase(c, ctx.config.trustProxy)));
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/v1/projects/{writeKey}/settings',
    tags: ['Compatibility: Segment'],
    summary: "analytics.js settings (set AnalyticsBrowser's cdnURL to this collector)",
    request: { params: z.object({ writeKey: z.string() }) },
    responses: {
      200: { description: 'Settings whose Segment.io integration sends to this collector' },
      401: { description: 'Unknown write key' },
    },
  });
  return app;
}

/** The collector's public origin as the browser sees it (behind a trusted proxy: X-Forwarded-*). */
function publicBase(c: Context, trustProxy: boolean): { host: string; protocol: 'http' | 'https' } {
  const url = new URL(c.req.url);
  const fwdHost = trustProxy ? c.req.header('x-forwarded-host')?.split(',')[0]?.trim() : undefined;
  const fwdProto = trustProxy ? c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() : undefined;
  const protocol = (fwdProto ?? url.protocol.replace(':', '')) === 'https' ? 'https' : 'http';
  return { host: fwdHost || url.host, protocol };
}

/** The smallest settings document analytics.js needs: only the Segment.io destination, here. */
function browserSettings(writeKey: string, base: { host: string; protocol: 'http' | 'https' }) {
  return {
    integrations: {
      'Segment.io': { apiKey: writeKey, apiHost: `${base.host}/v1`, protocol: base.protocol },
    },
    plan: { track: { __default: { enabled: true, integrations: {} } } },
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    edgeFunction: {},
    metrics: { sampleRate: 0 },
    remotePlugins: [],
  };
}

/** Reads a JSON (or text/plain) body; over the limit is 400, as Segment answers, not 413. */
async function readSegmentBody(c: Context, maxBytes: number): Promise<unknown> {
  try {
    return await readJsonBody(c, { ...DEFAULT_BODY_LIMITS, maxBytes });
  } catch (err) {
    if (err instanceof HeedError && err.code === 'payload_too_large') {
      throw new HeedError('bad_request', `${err.message} (Segment's limit)`, {
        cause: err,
        details: [{ field: '', message: `must be at most ${maxBytes / 1024} KB` }],
      });
    }
    throw err;
  }
}

function stringOr(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function timestampOr(v: unknown): number | undefined {
  const t = parseTimestamp(v);
  return Number.isNaN(t) ? undefined : t;
}

const answerSchema = z
  .object({
    success: z.boolean(),
    accepted: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.number().int(),
  })
  .openapi('SegmentAnswer');

/** These endpoints read raw bodies (gzip, text/plain), so they are documented, not validated, by zod. */
function document(app: OpenAPIHono, path: string, summary: string) {
  app.openAPIRegistry.registerPath({
    method: 'post',
    path,
    tags: ['Compatibility: Segment'],
    summary,
    description:
      'Segment-compatible ingest. Write key in `Authorization: Basic base64(writeKey:)` or in the body as `writeKey`. ' +
      'Accepts application/json and text/plain, optionally gzip. Over-size bodies answer 400, as Segment does.',
    request: {
      body: {
        content: {
          'application/json': { schema: z.looseObject({}) },
          'text/plain': { schema: z.string() },
        },
      },
    },
    responses: {
      200: {
        description: 'Stored (or already stored)',
        content: { 'application/json': { schema: answerSchema } },
      },
      400: { description: 'Malformed, over-size, or some events rejected (the valid ones are stored)' },
      401: { description: 'Missing or unknown write key' },
      403: { description: "Origin not in the write key's allowed origins" },
      503: { description: 'Database unavailable; retry after Retry-After seconds' },
    },
  });
}
