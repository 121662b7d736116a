import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import type { Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { Hub } from './realtime/hub.js';
import { createStorage } from './storage/index.js';
import type { Storage } from './storage/types.js';

export interface RunningServer {
  url: string;
  port: number;
  storage: Storage;
  hub: Hub;
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
      onPoolError: (err) => logger.warn({ err: err.message }, 'database connection lost'),
    });
  const applied = await storage.migrate();
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  const hub = new Hub();
  const app = createApp({ storage, logger, hub, config });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let closed = false;
  return {
    url: `http://${host}:${port}`,
    port,
    storage,
    hub,
    logger,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open keep-alive sockets would hold close() forever.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await storage.close();
    },
  };
}
