import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from '../logger.js';
import { Hub, type HubTransport } from './hub.js';
import { postgresTransport } from './postgres-transport.js';
import { redisTransport } from './redis-transport.js';

export type { HubEvent, SequencedEvent } from './hub.js';
export { DEFAULT_LIVE_OPTIONS, type LiveOptions, LiveStream } from './stream.js';
export { Hub, type HubTransport };

/**
 * How events reach the other collector instances: Redis pub/sub when REDIS_URL is set, else
 * PostgreSQL LISTEN/NOTIFY on a PostgreSQL database; none (one process) on SQLite.
 */
export function createTransport(cfg: {
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  databaseUrl: string | undefined;
  databaseSsl?: ConnectionOptions | undefined;
  onError?: (err: Error) => void;
}): HubTransport | undefined {
  const onError = cfg.onError;
  if (cfg.redisUrl)
    return redisTransport({ url: cfg.redisUrl, prefix: cfg.redisKeyPrefix, ...(onError ? { onError } : {}) });
  if (cfg.databaseUrl) {
    return postgresTransport({
      url: cfg.databaseUrl,
      ssl: cfg.databaseSsl,
      ...(onError ? { onError } : {}),
    });
  }
  return undefined;
}

/** The process's hub, fanned out to the other instances when the configuration allows it. */
export async function startHub(
  cfg: {
    redisUrl: string | undefined;
    redisKeyPrefix: string;
    databaseUrl: string | undefined;
    databaseTls?: { mode: 'require' | 'verify-full'; caFile: string | undefined } | undefined;
  },
  logger: Logger,
): Promise<Hub> {
  const hub = new Hub();
  const transport = createTransport({
    ...cfg,
    databaseSsl: cfg.databaseTls
      ? {
          rejectUnauthorized: cfg.databaseTls.mode === 'verify-full',
          ...(cfg.databaseTls.caFile ? { ca: readFileSync(cfg.databaseTls.caFile, 'utf8') } : {}),
        }
      : undefined,
    onError: (err) => logger.warn({ err: err.message }, 'live stream fan-out error'),
  });
  if (transport) await hub.attach(transport, (err) => logger.warn({ err }, 'live event not fanned out'));
  return hub;
}
