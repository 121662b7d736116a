#!/usr/bin/env node
import { createAnalysis } from './analysis/index.js';
import { bootstrapDemo } from './bootstrap.js';
import { createKeyValueCache } from './cache/kv.js';
import { ConfigError, loadConfig } from './config.js';
import { importCommand } from './import/cli.js';
import { createLogger } from './logger.js';
import { Metrics } from './observability/metrics.js';
import { serveMetrics } from './observability/metrics-server.js';
import { startHub } from './realtime/index.js';
import { startServer } from './serve.js';
import { storageFor } from './storage/index.js';

const USAGE = `Usage: heed <command>

Commands:
  start     migrate the database, then serve the collector (default)
  migrate   apply pending database migrations and exit
  import    import interactions from a CSV, NDJSON or JSON file (heed import --help)
  worker    run sentiment analysis and anomaly detection without the HTTP server (scale-out)

Configuration comes from environment variables: PORT, HOST, DATABASE_URL, HEED_DATA_DIR, LOG_LEVEL,
JWT_SECRET, ENCRYPTION_KEY, REDIS_URL, CORS_ORIGINS, TRUST_PROXY, METRICS_TOKEN, METRICS_PORT (worker),
ENCRYPTION_KEY_PREVIOUS, REDIS_KEY_PREFIX, RATE_LIMIT_IP_PER_MIN, RATE_LIMIT_USER_PER_MIN,
RATE_LIMIT_AUTH_PER_MIN, RATE_LIMIT_LOGIN_FAILURES, TLS_CERT_FILE, TLS_KEY_FILE, DATABASE_SSL, DATABASE_CA_FILE.`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'start';
  if (command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  if (config.generatedSecrets) {
    logger.warn(`JWT_SECRET/ENCRYPTION_KEY not set: using development secrets stored in ${config.dataDir}`);
  }
  if (command === 'migrate') {
    const storage = storageFor(config);
    try {
      const applied = await storage.migrate();
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
    } finally {
      await storage.close();
    }
    return 0;
  }
  if (command === 'worker') {
    const storage = storageFor(config);
    await storage.migrate();
    const kv = createKeyValueCache(config.redisUrl, logger);
    // Its sentiment.analyzed events reach the collectors' live streams through the shared transport.
    const hub = await startHub(config, logger);
    const metrics = new Metrics({ processMetrics: true });
    const analysis = createAnalysis({
      storage,
      hub,
      logger,
      cache: kv,
      config: config.analysis,
      onAnalyzed: (rows, ms) => metrics.analyzed(rows, ms),
    });
    metrics.watch({
      backlog: () => storage.analysis.backlog(),
      poolQueue: () => analysis.pool.queueSize,
      breakers: [analysis.pool.breaker],
    });
    // Prometheus scrapes the worker on METRICS_PORT (loopback unless HOST says otherwise).
    const metricsServer =
      config.metricsPort === undefined
        ? undefined
        : await serveMetrics(metrics, {
            port: config.metricsPort,
            host: config.host,
            token: config.metricsToken,
          });
    await analysis.pool.warmUp().catch((err) => {
      throw new Error(
        `The sentiment model could not be loaded from ${analysis.pool.modelSource}: ${analysis.pool.failure ?? (err as Error).message}`,
      );
    });
    analysis.start();
    console.log(
      `Heed worker analysing ${config.databaseUrl ? 'PostgreSQL' : config.sqlitePath}` +
        (metricsServer ? ` (metrics on port ${metricsServer.port})` : ''),
    );
    const stop = async (signal: string) => {
      logger.info({ signal }, 'worker stopping');
      await metricsServer?.close();
      await analysis.close();
      await hub.close();
      await kv.close();
      await storage.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    return -1;
  }
  if (command === 'import') return importCommand(argv.slice(1), config);
  if (command !== 'start') {
    console.error(`Unknown command: ${command}\n\n${USAGE}`);
    return 2;
  }
  const server = await startServer(config, { logger });
  const demo = await bootstrapDemo(server.storage);
  const where = config.databaseUrl ? 'PostgreSQL' : `SQLite at ${config.sqlitePath}`;
  const lines = [
    ``,
    `Heed collector listening on ${server.url}  (database: ${where})`,
    `Dashboard:    ${server.url}/dashboard/  (live stream: ${server.hub.transportKind})`,
  ];
  if (demo) {
    lines.push(
      ``,
      `First start: created the demo organization. Save these now; they are not shown again.`,
      `  Admin login:  ${demo.adminEmail} / ${demo.adminPassword}`,
      `  Write key:    ${demo.writeKey}`,
      ``,
      `Send an event:`,
      `  curl -X POST ${server.url}/v1/batch -H 'Authorization: Bearer ${demo.writeKey}' \\`,
      `    -H 'Content-Type: application/json' \\`,
      `    -d '{"batch":[{"type":"track","messageId":"m-1","userId":"u-1","event":"Support Email","properties":{"content":"Love the new export!"},"context":{"channel":"email"}}]}'`,
    );
  }
  console.log(lines.join('\n'));
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  return -1; // keep running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
