import type { FieldError } from '@heed/protocol';
import { LIMITS } from '@heed/protocol';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppContext } from '../../context.js';
import { HeedError, isUnavailableError } from '../../errors.js';
import { ingestTranslated } from '../../ingest/compat.js';
import type { AuthVariables } from '../../middleware/auth.js';
import { chunk } from '../../storage/plan.js';
import { INGEST_CHUNK_SIZE } from '../../storage/types.js';
import { bearer, errors } from '../schemas.js';
import { type SeedItem, seedField, seedShapeErrors, seedToEvent } from './map.js';

const INGEST_ROLES = ['analyst', 'admin'] as const;

const itemSchema = z
  .object({
    customerId: z.string().openapi({ description: 'UUID of an existing customer of your organization' }),
    channel: z.string().openapi({ description: 'web, mobile, email, chat or phone' }),
    eventType: z.string(),
    content: z.string().nullable().optional().openapi({ description: 'Required for email and chat' }),
    timestamp: z.string().optional().openapi({ description: 'ISO-8601; default now; not in the future' }),
    metadata: z.record(z.string(), z.unknown()).optional(),
    messageId: z.string().max(255).optional().openapi({ description: 'Idempotency key; default a new UUID' }),
  })
  .openapi('SeedInteraction');

const summarySchema = z
  .object({
    successful: z.number(),
    failed: z.number(),
    errors: z.array(z.object({ index: z.number(), field: z.string(), message: z.string() })),
  })
  .openapi('SeedSummary');

const ingestOneRoute = createRoute({
  method: 'post',
  path: '/api/data/ingest',
  tags: ['Data'],
  summary: 'Store one interaction of an existing customer (analyst, admin)',
  security: bearer,
  request: { body: { required: true, content: { 'application/json': { schema: itemSchema } } } },
  responses: {
    201: {
      description: 'Stored',
      content: { 'application/json': { schema: z.object({ id: z.string(), messageId: z.string() }) } },
    },
    200: {
      description: 'Already stored (same messageId): nothing new',
      content: {
        'application/json': { schema: z.object({ messageId: z.string(), duplicate: z.literal(true) }) },
      },
    },
    ...errors,
  },
});

const MAX_BATCH_ITEMS = LIMITS.maxBatchEvents;

const ingestBatchRoute = createRoute({
  method: 'post',
  path: '/api/data/ingest/batch',
  tags: ['Data'],
  summary: `Store up to ${MAX_BATCH_ITEMS} interactions in chunks of ${INGEST_CHUNK_SIZE}, each its own transaction (analyst, admin)`,
  security: bearer,
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({ interactions: z.array(z.unknown()).min(1).max(MAX_BATCH_ITEMS) }),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'What was stored and what was not, per item',
      content: { 'application/json': { schema: summarySchema } },
    },
    ...errors,
  },
});

/** The seed ingest API for users (JWT): interactions of customers that already exist. */
export function seedRoutes(ctx: AppContext) {
  const app = new OpenAPIHono<{ Variables: AuthVariables }>();
  const auth = ctx.auth(INGEST_ROLES);
  app.use('/api/data/ingest', auth);
  app.use('/api/data/ingest/batch', auth);

  app.openapi(ingestOneRoute, async (c) => {
    const item = c.req.valid('json');
    const { organizationId } = c.get('auth');
    const shape = seedShapeErrors(item, 0).map(({ index: _i, ...e }) => e);
    if (shape.length > 0)
      throw new HeedError('validation_failed', 'The interaction is invalid', { details: shape });
    const customer = await ctx.storage.getCustomerById(organizationId, item.customerId);
    if (!customer) throw new HeedError('not_found', 'No such customer');
    const event = seedToEvent(item as SeedItem, customer.externalId);
    const result = await ingestTranslated(ctx, c, organizationId, [event], {
      receivedAt: Date.now(),
      sentAt: undefined,
    });
    if (result.details.length > 0) {
      throw new HeedError('validation_failed', 'The interaction is invalid', {
        details: result.details.map(({ index: _i, field, message }) => ({
          field: seedField(field),
          message,
        })),
      });
    }
    const stored = result.stored[0];
    if (!stored) return c.json({ messageId: event.messageId as string, duplicate: true as const }, 200);
    return c.json({ id: stored.id, messageId: stored.messageId }, 201);
  });

  app.openapi(ingestBatchRoute, async (c) => {
    const { interactions } = c.req.valid('json');
    const { organizationId } = c.get('auth');
    const summary = await ingestSeedBatch(ctx, c, organizationId, interactions);
    return c.json(summary, 200);
  });

  return app;
}

/**
 * Each chunk of 100 goes through the pipeline on its own (one transaction): a chunk that fails
 * (database error) rolls back alone and its items are reported failed; the others are kept. The event
 * loop is yielded between chunks so that live ingestion is served while a large batch runs.
 */
async function ingestSeedBatch(ctx: AppContext, c: Context, organizationId: string, items: unknown[]) {
  const errors: Array<Required<FieldError>> = [];
  let successful = 0;
  const customers = new Map<string, string | null>();
  let unavailable: unknown;
  let chunksFailed = 0;
  const indexed = items.map((item, index) => ({ item, index }));
  const parts = chunk(indexed, INGEST_CHUNK_SIZE);
  for (const part of parts) {
    const events: unknown[] = [];
    const positions: number[] = [];
    for (const { item, index } of part) {
      const shape = seedShapeErrors(item, index);
      if (shape.length > 0) {
        errors.push(...(shape as Array<Required<FieldError>>));
        continue;
      }
      const seed = item as SeedItem;
      if (!customers.has(seed.customerId)) {
        const found = await ctx.storage.getCustomerById(organizationId, seed.customerId);
        customers.set(seed.customerId, found?.externalId ?? null);
      }
      const externalId = customers.get(seed.customerId);
      if (!externalId) {
        errors.push({ index, field: 'customerId', message: 'no such customer in your organization' });
        continue;
      }
      events.push(seedToEvent(seed, externalId));
      positions.push(index);
    }
    if (events.length === 0) continue;
    try {
      const result = await ingestTranslated(ctx, c, organizationId, events, {
        receivedAt: Date.now(),
        sentAt: undefined,
      });
      for (const d of result.details) {
        errors.push({ index: positions[d.index ?? 0] ?? -1, field: seedField(d.field), message: d.message });
      }
      successful += result.accepted + result.duplicates;
    } catch (err) {
      chunksFailed++;
      if (isUnavailableError(err)) unavailable = err;
      ctx.logger.error({ err, organizationId }, 'seed batch chunk failed; rolled back');
      for (const index of positions)
        errors.push({ index, field: '', message: 'not stored: the chunk failed; retry' });
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (unavailable && chunksFailed === parts.length) {
    throw new HeedError('service_unavailable', 'The database is unavailable; retry shortly', {
      cause: unavailable,
      retryAfter: 5,
    });
  }
  errors.sort((a, b) => a.index - b.index);
  return { successful, failed: new Set(errors.map((e) => e.index)).size, errors };
}
