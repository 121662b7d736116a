import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Redis } from 'ioredis';
import { type AnalysisServices, createAnalysis } from './analysis/index.js';
import { sendWebhook } from './analysis/webhook.js';
import { createApp } from './app.js';
import { InsightsCache } from './cache/index.js';
import { memoryCache, redisCache } from './cache/kv.js';
import type { Config } from './config.js';
import { failInterruptedImports } from './import/jobs.js';
import { createLogger, type Logger } from './logger.js';
import { AlertRules } from './observability/alerts.js';
import { Metrics } from './observability/metrics.js';
import type { Hub } from './realtime/hub.js';
import { startHub } from './realtime/index.js';
import { CircuitBreaker } from './resilience/breaker.js';
import { databaseFailure, guardStorage } from './resilience/storage.js';
import { redisBus } from './security/invalidation.js';
import { MemoryRateLimitStore, RedisRateLimitStore } from './security/rate-limit.js';
import { storageFor } from './storage/index.js';
import { RollupRefresher } from './storage/rollups.js';
import type { Storage } from './storage/types.js';

export interface RunningServer {
  url: string;
  port: number;
  storage: Storage;
  hub: Hub;
  analysis: AnalysisServices | undefined;
  logger: Logger;
  metrics: Metrics;
  alerts: AlertRules | undefined;
  close(): Promise<void>;
}

/** Opens the database (migrating it), then the port. */
export async function startServer(
  config: Config,
  opts: { logger?: Logger; storage?: Storage } = {},
): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const rawStorage =
    opts.storage ??
    storageFor(config, (err) => logger.warn({ err: err.message }, 'database connection lost'));
  const applied = await rawStorage.migrate();
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  // Once per process start: import jobs left 'running' by a collector that is gone are marked failed
  // (only stale ones: other live instances may share the database; see failInterruptedImports).
  await failInterruptedImports(rawStorage, logger);
  // One database breaker for the process: the app and the analysis loop see the same circuit.
  const metrics = new Metrics({ processMetrics: true });
  const databaseBreaker = new CircuitBreaker({
    name: 'database',
    isFailure: databaseFailure,
    onStateChange: (state) => logger.warn({ breaker: 'database', state }, 'circuit breaker'),
  });
  const storage = guardStorage(rawStorage, {
    breaker: databaseBreaker,
    logger,
    onQuery: (operation, seconds) => metrics.query(operation, seconds),
  });
  const hub = await startHub(config, logger);
  // One Redis command connection per process (caches, rate limits, revocations); pub/sub adds a subscriber.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 })
    : undefined;
  redis?.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  const kv = redis
    ? redisCache(
        redis,
        (err) => logger.warn({ err: (err as Error).message }, 'redis cache error'),
        config.redisKeyPrefix,
      )
    : memoryCache();
  const analysis = config.analysis.enabled
    ? createAnalysis({
        storage,
        hub,
        logger,
        cache: kv,
        config: config.analysis,
        onAnalyzed: (rows, ms) => metrics.analyzed(rows, ms),
      })
    : undefined;
  analysis?.start();
  // Load the model now: a missing or broken model is reported once, clearly, at start-up. Ingest goes
  // on; texts wait unscored in the database, and the pool tries the model again every 30 s, so fixing
  // the files is enough (no restart).
  analysis?.pool.warmUp().catch((err) => {
    logger.error(
      { modelDir: analysis.pool.modelSource, reason: analysis.pool.failure ?? (err as Error).message },
      'sentiment model could not be loaded: analysis is paused (retried every 30 s), ingest continues',
    );
  });
  // Rate limits are shared by every instance through Redis when REDIS_URL is set.
  const rateLimitStore = redis
    ? new RedisRateLimitStore(redis, `${config.redisKeyPrefix}rl:`, (err) =>
        logger.warn({ err: err.message }, 'rate limits unavailable (Redis): requests pass unlimited'),
      )
    : new MemoryRateLimitStore();
  // Revocations reach every instance's caches over Redis pub/sub.
  const invalidations = redis
    ? redisBus(
        redis,
        new Redis(config.redisUrl as string, { maxRetriesPerRequest: 2 }),
        `${config.redisKeyPrefix}invalidate`,
        (err) => logger.warn({ err: err.message }, 'redis (revocations) error'),
      )
    : undefined;
  const app = createApp({
    storage,
    logger,
    hub,
    config,
    analysis,
    cache: new InsightsCache(kv),
    rateLimitStore,
    ...(invalidations ? { invalidations } : {}),
    metrics,
    databaseBreaker,
    stream: { heartbeatMs: config.streamHeartbeatMs },
  });
  metrics.watch({
    backlog: () => storage.analysis.backlog(),
    breakers: analysis ? [databaseBreaker, analysis.pool.breaker] : [databaseBreaker],
    ...(analysis ? { poolQueue: () => analysis.pool.queueSize } : {}),
  });
  const tls = config.tls
    ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) }
    : undefined;
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve(
      {
        fetch: app.fetch,
        port: config.port,
        hostname: config.host,
        ...(tls ? { createServer: createHttpsServer, serverOptions: tls } : {}),
      },
      () => resolve(s),
    );
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const webhook = config.analysis.webhook;
  const alerts = webhook
    ? new AlertRules({
        metrics,
        logger,
        instance: `${host}:${port}`,
        notify: (notice) => sendWebhook({ ...webhook, logger }, notice),
      })
    : undefined;
  alerts?.start(config.alertIntervalMs);
  // The daily trend rollup is kept up to date in the background (every instance may run it: the
  // refresh locks per organization). Trend answers never depend on it being up to date.
  const rollups = new RollupRefresher(rawStorage.rollups, {
    onError: (err) => logger.warn({ err: err.message }, 'rollup refresh failed'),
  });
  rollups.start();
  // Import jobs of a process that stopped are caught by the start-up sweep only once they are stale,
  // which a quick restart is not yet: sweep again every minute (one indexed query), so their rows
  // converge to 'failed' (reads already show them so; see effectiveJob).
  const importSweep = setInterval(() => void failInterruptedImports(rawStorage, logger), 60_000);
  importSweep.unref();
  let closed = false;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    storage,
    hub,
    analysis,
    logger,
    metrics,
    alerts,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(importSweep);
      await alerts?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open keep-alive sockets would hold close() forever.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await analysis?.close();
      await rollups.stop();
      await hub.close();
      await invalidations?.close();
      await kv.close(); // the in-memory cache, or the shared Redis connection
      await storage.close();
    },
  };
}
