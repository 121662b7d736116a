import type { Context } from 'hono';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { HeedError, isUnavailableError } from './errors.js';
import type { Logger } from './logger.js';
import { createKeyResolver } from './middleware/write-key.js';
import type { Hub } from './realtime/hub.js';
import { batchRoutes } from './routes/batch/index.js';
import { healthRoutes } from './routes/health/index.js';
import type { Storage } from './storage/types.js';

export interface AppDeps {
  storage: Storage;
  logger: Logger;
  hub: Hub;
}

/** Builds the HTTP application. No side effects: `serve.ts` opens the port. */
export function createApp(deps: AppDeps) {
  const { storage, logger, hub } = deps;
  const app = new Hono();
  app.use(requestId());
  app.use(async function accessLog(c, next) {
    const start = performance.now();
    await next();
    logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        durationMs: Math.round((performance.now() - start) * 10) / 10,
      },
      'request',
    );
  });

  const resolveKey = createKeyResolver({ storage });
  app.route('/', healthRoutes(storage));
  app.route(
    '/',
    batchRoutes({
      storage,
      resolveKey,
      onStored: (organizationId, rows) => {
        for (const r of rows) {
          hub.publish(organizationId, {
            type: 'interaction.created',
            data: { id: r.id, messageId: r.messageId, channel: r.channel, eventType: r.eventType },
          });
        }
      },
    }),
  );

  app.notFound((c) =>
    renderError(c, new HeedError('not_found', `No route for ${c.req.method} ${c.req.path}`)),
  );
  app.onError((err, c) => {
    const heed = toHeedError(err);
    if (heed.status >= 500) {
      logger.error({ err, requestId: c.get('requestId'), path: c.req.path }, heed.message);
    }
    return renderError(c, heed);
  });
  return app;
}

function toHeedError(err: unknown): HeedError {
  if (err instanceof HeedError) return err;
  if (isUnavailableError(err)) {
    return new HeedError('service_unavailable', 'The database is unavailable; retry shortly', {
      cause: err,
      retryAfter: 5,
    });
  }
  return new HeedError('internal', 'Internal server error', { cause: err });
}

/** Renders `{ error, code, details?, requestId }`: never a stack trace. */
export function renderError(c: Context, err: HeedError) {
  if (err.retryAfter !== undefined) c.header('Retry-After', String(err.retryAfter));
  return c.json(
    {
      ...err.extra,
      error: err.message,
      code: err.code,
      ...(err.details ? { details: err.details } : {}),
      requestId: c.get('requestId'),
    },
    err.status,
  );
}
