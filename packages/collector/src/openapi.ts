import { CHANNELS, EVENT_TYPES } from '@heed/protocol';
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { errorSchema } from './routes/schemas.js';

type Registry = OpenAPIHono['openAPIRegistry'];
type RouteConfig = Parameters<Registry['registerPath']>[0];

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const error = (description: string) => json(errorSchema, description);

const eventSchema = z
  .object({
    type: z.enum(EVENT_TYPES),
    messageId: z.string().openapi({ description: 'Idempotency key: an event is stored once per messageId' }),
    timestamp: z.string().optional().openapi({ description: 'ISO 8601; default: when received' }),
    userId: z.string().optional(),
    anonymousId: z.string().optional().openapi({ description: 'Required when userId is absent' }),
    event: z.string().optional().openapi({ description: 'Event name (required for track)' }),
    properties: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: 'content (or text, message) is the text analysed for sentiment' }),
    traits: z.record(z.string(), z.unknown()).optional(),
    context: z
      .object({ channel: z.enum(CHANNELS).optional() })
      .catchall(z.unknown())
      .optional(),
  })
  .openapi('Event');

const batchResponse = z
  .object({ success: z.boolean(), accepted: z.number(), duplicates: z.number(), rejected: z.number() })
  .openapi('BatchResponse');

/** Routes written with plain Hono handlers (no zod schema): described here, by hand. */
const PLAIN_ROUTES: RouteConfig[] = [
  {
    method: 'get',
    path: '/healthz',
    tags: ['Health'],
    summary: 'Liveness: the process answers',
    responses: { 200: json(z.object({ status: z.literal('ok') }), 'Alive') },
  },
  {
    method: 'get',
    path: '/readyz',
    tags: ['Health'],
    summary: 'Readiness: the database answers',
    responses: {
      200: json(z.object({ status: z.literal('ready'), database: z.enum(['sqlite', 'postgres']) }), 'Ready'),
      503: error('The database is unreachable (Retry-After)'),
    },
  },
  {
    method: 'post',
    path: '/v1/batch',
    tags: ['Ingest'],
    summary: 'Send events (Segment batch format plus channel and content)',
    description:
      'Authorization: Bearer <writeKey> (or Basic writeKey:, or writeKey in the body). Each event is ' +
      'validated on its own: valid events are stored even when others are rejected (then 400 with the ' +
      'counters and a detail per rejected event).',
    security: [{ writeKey: [] }],
    request: {
      body: {
        content: {
          'application/json': {
            schema: z.object({
              batch: z.array(eventSchema),
              sentAt: z.string().optional(),
              writeKey: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: {
      200: json(batchResponse, 'Every event stored (or already stored)'),
      400: error('Some events were rejected; the others were stored'),
      401: error('Missing or unknown write key'),
      413: error('The batch is too large'),
      503: error('The database is unavailable; retry'),
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    tags: ['Meta'],
    summary: 'This OpenAPI document',
    responses: { 200: json(z.record(z.string(), z.unknown()), 'OpenAPI 3.1') },
  },
  {
    method: 'get',
    path: '/dashboard',
    tags: ['Dashboard'],
    summary: 'The dashboard (HTML; its assets are under /dashboard/)',
    responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } },
  },
  {
    method: 'get',
    path: '/widgets.js',
    tags: ['Dashboard'],
    summary: 'The embeddable widgets script',
    responses: {
      200: { description: 'JavaScript', content: { 'text/javascript': { schema: z.string() } } },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    tags: ['Meta'],
    summary: 'Prometheus metrics',
    responses: {
      200: {
        description: 'Prometheus text exposition format',
        content: { 'text/plain': { schema: z.string() } },
      },
    },
  },
];

const toOpenApiPath = (p: string) => p.replace(/:(\w+)/g, '{$1}');

function documented(registry: Registry): Map<string, RouteConfig> {
  const out = new Map<string, RouteConfig>();
  for (const d of registry.definitions) {
    if (d.type === 'route') out.set(`${d.route.method} ${d.route.path}`, d.route);
  }
  return out;
}

/**
 * Completes the OpenAPI document so that every route the app answers is in it: the plain Hono routes
 * above (when mounted), and paths served both with and without a trailing slash (PostHog's `/batch`
 * and `/batch/`) under both spellings. Call after every route is mounted.
 */
export function documentRemainingRoutes<E extends Env>(app: OpenAPIHono<E>): void {
  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', 'writeKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'A write key (ingest only)',
  });
  const known = documented(registry);
  const mounted = new Set(app.routes.map((r) => `${r.method.toLowerCase()} ${toOpenApiPath(r.path)}`));
  for (const route of PLAIN_ROUTES) {
    const key = `${route.method} ${route.path}`;
    // The document itself is mounted right after this call.
    if ((mounted.has(key) || route.path === '/openapi.json') && !known.has(key)) {
      registry.registerPath(route);
      known.set(key, route);
    }
  }
  for (const key of mounted) {
    if (known.has(key) || key.startsWith('all ')) continue;
    const twin = known.get(key.endsWith('/') ? key.slice(0, -1) : `${key}/`);
    if (twin) {
      const path = key.slice(key.indexOf(' ') + 1);
      registry.registerPath({ ...twin, path });
      known.set(key, twin);
    }
  }
}
