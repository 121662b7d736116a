import type { BatchResponse } from '@heed/protocol';
import { isPlainObject } from '@heed/protocol';
import { Hono } from 'hono';
import { HeedError } from '../../errors.js';
import { readJsonBody } from '../../ingest/body.js';
import { type IngestDeps, ingestItems, parseBatchEnvelope } from '../../ingest/pipeline.js';
import { checkOrigin, keyFromHeader, type WriteKeyResolver } from '../../middleware/write-key.js';
import { withChannel } from '../segment/map.js';

export interface BatchRouteDeps extends IngestDeps {
  resolveKey: WriteKeyResolver;
}

/**
 * `POST /v1/batch`: the native ingest endpoint (Segment's batch format plus channel and content).
 * Each item is validated on its own: valid items are stored even when others are rejected, and the
 * answer lists every rejected item with its index, field and message.
 */
export function batchRoutes(deps: BatchRouteDeps) {
  const app = new Hono();
  app.post('/v1/batch', async (c) => {
    const receivedAt = Date.now();
    const headerKey = keyFromHeader(c.req.header('authorization'));
    // Fail fast on a bad header key, before reading the body.
    const early = headerKey ? await deps.resolveKey(headerKey) : undefined;
    const body = await readJsonBody(c);
    const bodyKey = isPlainObject(body) && typeof body.writeKey === 'string' ? body.writeKey : undefined;
    const key = early ?? (bodyKey ? await deps.resolveKey(bodyKey) : undefined);
    if (!key) throw new HeedError('unauthorized', 'Missing write key: send Authorization: Bearer <writeKey>');
    checkOrigin(c, key);

    const envelope = parseBatchEnvelope(body);
    if (envelope.errors.length > 0) {
      throw new HeedError('validation_failed', 'The batch is malformed', { details: envelope.errors });
    }
    const userAgent = c.req.header('user-agent');
    const fromBrowser = c.req.header('origin') !== undefined;
    // Segment libraries name no channel: inferred as on the other Segment paths (native events have one).
    const items = envelope.items.map((e) => withChannel(e, fromBrowser));
    const result = await ingestItems(deps, key.organizationId, items, {
      receivedAt,
      sentAt: envelope.sentAt,
      request: {
        userAgent,
        fromBrowser,
        header: (n) => c.req.header(n),
      },
    });
    const counters = { accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejected };
    if (result.details.length > 0) {
      throw new HeedError(
        'validation_failed',
        `${result.rejected} of ${envelope.items.length} events were rejected`,
        {
          details: result.details,
          extra: { success: false, ...counters },
        },
      );
    }
    return c.json({ success: true, ...counters } satisfies BatchResponse);
  });
  return app;
}
