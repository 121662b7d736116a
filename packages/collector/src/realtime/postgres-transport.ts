import pg from 'pg';
import type { HubTransport } from './hub.js';
import { packMessages, unpackMessage } from './wire.js';

const CHANNEL = 'heed_stream';

// The counter row stays locked until commit, and NOTIFY is queued before the lock is released:
// every listener receives an organization's messages in id order.
const PUBLISH = `WITH c AS (
  INSERT INTO stream_counters (organization_id, last_id) VALUES ($1, $2)
  ON CONFLICT (organization_id) DO UPDATE SET last_id = stream_counters.last_id + EXCLUDED.last_id
  RETURNING last_id
) SELECT pg_notify('${CHANNEL}', c.last_id || '|' || $3::text) FROM c`;

export interface PostgresTransportOptions {
  url: string;
  ssl?: import('node:tls').ConnectionOptions | undefined;
  onError?: (err: Error) => void;
}

/**
 * Fan-out over PostgreSQL LISTEN/NOTIFY: one listening connection and one publishing connection per
 * process. Payloads carry ids and compact data (under 8 KB), never rows.
 */
export function postgresTransport(opts: PostgresTransportOptions): HubTransport {
  const onError = opts.onError ?? (() => {});
  const publisher = new pg.Pool({
    connectionString: opts.url,
    max: 1,
    ...(opts.ssl ? { ssl: opts.ssl } : {}),
  });
  publisher.on('error', onError);
  let listener: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  async function connect(receiver: Parameters<HubTransport['start']>[0], reconnecting: boolean) {
    const client = new pg.Client({ connectionString: opts.url, ...(opts.ssl ? { ssl: opts.ssl } : {}) });
    client.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      const m = unpackMessage(msg.payload);
      if (m) receiver.receive(m.organizationId, m.events, m.origin);
    });
    const reconnect = (err?: Error) => {
      if (err) onError(err);
      if (closed || listener !== client) return;
      listener = undefined;
      client.end().catch(() => {});
      retry = setTimeout(() => void connect(receiver, true).catch(() => reconnect()), 1000);
    };
    client.on('error', reconnect);
    client.on('end', () => reconnect());
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    listener = client;
    if (reconnecting) receiver.lost();
  }

  return {
    kind: 'postgres',
    start: (receiver) => connect(receiver, false),
    async send(origin, organizationId, events) {
      for (const m of packMessages(origin, organizationId, events)) {
        await publisher.query(PUBLISH, [organizationId, m.count, m.payload]);
      }
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const l = listener;
      listener = undefined;
      await l?.end().catch(() => {});
      await publisher.end().catch(() => {});
    },
  };
}
