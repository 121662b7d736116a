import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { matchedRoutes } from 'hono/route';
import { secureHeaders } from 'hono/secure-headers';
import { type AppDeps, createContext } from './context.js';
import { HeedError, isUnavailableError } from './errors.js';
import { publishCreated } from './ingest/pipeline.js';
import { ingestCors } from './middleware/ingest-cors.js';
import { jsonLimits } from './middleware/json-limits.js';
import { rateLimit } from './middleware/rate-limit.js';
import { documentRemainingRoutes } from './openapi.js';
import { anomalyRoutes } from './routes/anomalies/index.js';
import { auditRoutes } from './routes/audit/index.js';
import { authRoutes } from './routes/auth/index.js';
import { batchRoutes } from './routes/batch/index.js';
import { customersRoutes } from './routes/customers/index.js';
import { dashboardRoutes } from './routes/dashboard/index.js';
import { embedRoutes } from './routes/embed/index.js';
import { exportRoutes } from './routes/export/index.js';
import { healthRoutes } from './routes/health/index.js';
import { importRoutes } from './routes/import/index.js';
import { insightsRoutes } from './routes/insights/index.js';
import { interactionsRoutes } from './routes/interactions/index.js';
import { keysRoutes } from './routes/keys/index.js';
import { metricsRoutes } from './routes/metrics/index.js';
import { patternRoutes } from './routes/patterns/index.js';
import { posthogRoutes } from './routes/posthog/index.js';
import { predictRoutes } from './routes/predict/index.js';
import { seedRoutes } from './routes/seed/index.js';
import { segmentRoutes } from './routes/segment/index.js';
import { streamRoutes } from './routes/stream/index.js';
import { usersRoutes } from './routes/users/index.js';

export type { AppDeps };

/** Builds the HTTP application. No side effects: `serve.ts` opens the port. */
export function createApp(deps: AppDeps) {
  const ctx = createContext(deps);
  const { storage, logger, hub } = ctx;
  const app = new OpenAPIHono({
    // zod validation failures render in the one error shape, with field-level details.
    defaultHook: (result) => {
      if (!result.success) {
        throw new HeedError('validation_failed', 'The request is invalid', {
          details: result.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
        });
      }
    },
  });
  app.use(requestId());
  app.use(async function accessLog(c, next) {
    const start = performance.now();
    await next();
    const seconds = (performance.now() - start) / 1000;
    // The matched route pattern (`/api/customers/:id`), never the raw path: bounded label values.
    const route = routeOf(c);
    ctx.metrics.request(c.req.method, route, c.res.status, seconds);
    logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        route,
        status: c.res.status,
        durationMs: Math.round(seconds * 10_000) / 10,
      },
      'request',
    );
  });

  // Security: headers (HSTS among them), one limit per client IP (health checks exempt), CORS
  // allow-list and JSON size/depth limits for the REST API. Ingest paths keep their own CORS.
  app.use(secureHeaders({ crossOriginResourcePolicy: 'cross-origin' }));
  app.use(
    rateLimit({
      limiter: ctx.limits.ip,
      logger,
      trustProxy: deps.config.trustProxy,
      key: (c, ip) => (c.req.path === '/healthz' || c.req.path === '/readyz' ? undefined : ip),
    }),
  );
  app.use(
    '/api/*',
    cors({
      origin: deps.config.corsOrigins,
      credentials: true,
      allowHeaders: ['Authorization', 'Content-Type'],
      exposeHeaders: ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After'],
      maxAge: 600,
    }),
  );
  app.use('/api/*', jsonLimits({ except: ['/api/import'] })); // imports stream files of up to 1 GB
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });

  const { resolveKey } = ctx;
  app.route('/', healthRoutes(storage));
  app.route('/', metricsRoutes(ctx));
  // Browser SDKs post cross-origin with an Authorization header: answer their preflight.
  app.use('/v1/batch', ingestCors());
  app.route(
    '/',
    batchRoutes({
      storage,
      resolveKey,
      pii: ctx.pii,
      metrics: ctx.metrics,
      onStored: publishCreated(hub),
    }),
  );

  app.route('/', authRoutes(ctx));
  app.route('/', usersRoutes(ctx));
  app.route('/', keysRoutes(ctx));
  app.route('/', auditRoutes(ctx));
  app.route('/', seedRoutes(ctx));
  app.route('/', insightsRoutes(ctx));
  app.route('/', interactionsRoutes(ctx));
  app.route('/', customersRoutes(ctx));
  app.route('/', exportRoutes(ctx));
  app.route('/', importRoutes(ctx));
  app.route('/', predictRoutes(ctx));
  app.route('/', patternRoutes(ctx));
  app.route('/', anomalyRoutes(ctx));
  app.route('/', segmentRoutes(ctx));
  app.route('/', posthogRoutes(ctx));
  app.route('/', streamRoutes(ctx));
  app.route('/', embedRoutes(ctx));
  app.route('/', dashboardRoutes(ctx));

  documentRemainingRoutes(app);
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Heed API', version: '0.1.0', description: 'Customer-insights collector and query API' },
  });

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

/** The pattern of the route whose handler answered; `unmatched` when middleware or notFound did. */
function routeOf(c: Context): string {
  const r = matchedRoutes(c)[c.req.routeIndex];
  return r && r.method !== 'ALL' ? r.path : 'unmatched';
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
