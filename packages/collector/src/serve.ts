import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Redis } from 'ioredis';
import { type AnalysisServices, createAnalysis } from './analysis/index.js';
import { createApp } from './app.js';
import { createKeyValueCache } from './cache/kv.js';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import type { Hub } from './realtime/hub.js';
import { startHub } from './realtime/index.js';
import { MemoryRateLimitStore, RedisRateLimitStore } from './security/rate-limit.js';
import { createStorage } from './storage/index.js';
import type { Storage } from './storage/types.js';

export interface RunningServer {
  url: string;
  port: number;
  storage: Storage;
  hub: Hub;
  analysis: AnalysisServices | undefined;
  logger: Logger;
  close(): Promise<void>;
}

/** Opens the database (migrating it), then the port. */
export async function startServer(
  config: Config,
  opts: { logger?: Logger; storage?: Storage } = {},
): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const storage =
    opts.storage ??
    createStorage({
      databaseUrl: config.databaseUrl,
      sqlitePath: config.sqlitePath,
      databaseTls: config.databaseTls,
      onPoolError: (err) => logger.warn({ err: err.message }, 'database connection lost'),
    });
  const applied = await storage.migrate();
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  const hub = await startHub(config, logger);
  const kv = createKeyValueCache(config.redisUrl, logger);
  const analysis = config.analysis.enabled
    ? createAnalysis({ storage, hub, logger, cache: kv.cache, config: config.analysis })
    : undefined;
  analysis?.start();
  // Rate limits are shared by every instance through Redis when REDIS_URL is set.
  const limitsRedis = config.redisUrl
    ? new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 })
    : undefined;
  limitsRedis?.on('error', (err) => logger.warn({ err: err.message }, 'redis (rate limits) error'));
  const rateLimitStore = limitsRedis
    ? new RedisRateLimitStore(limitsRedis, `${config.redisKeyPrefix}rl:`)
    : new MemoryRateLimitStore();
  const app = createApp({
    storage,
    logger,
    hub,
    config,
    analysis,
    rateLimitStore,
    stream: { heartbeatMs: config.streamHeartbeatMs },
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
  let closed = false;
  return {
    url: `${tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    storage,
    hub,
    analysis,
    logger,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open keep-alive sockets would hold close() forever.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await analysis?.close();
      await hub.close();
      await kv.close();
      await limitsRedis?.quit().catch(() => {});
      await storage.close();
    },
  };
}
