import { Redis } from 'ioredis';
import type { HubTransport } from './hub.js';
import { packMessages, unpackMessage } from './wire.js';

// INCRBY and PUBLISH in one script: Redis runs it atomically, so messages leave in id order.
const PUBLISH = `local last = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], last .. '|' .. ARGV[3])
return last`;

export interface RedisTransportOptions {
  url: string;
  /** Prefix of the counter keys and of the channel. */
  prefix: string;
  onError?: (err: Error) => void;
}

/** Fan-out over Redis pub/sub with one INCR counter per organization. */
export function redisTransport(opts: RedisTransportOptions): HubTransport {
  const onError = opts.onError ?? (() => {});
  const channel = `${opts.prefix}stream`;
  const pub = new Redis(opts.url, { maxRetriesPerRequest: 2 });
  const sub = new Redis(opts.url, { maxRetriesPerRequest: null });
  pub.on('error', onError);
  sub.on('error', onError);
  return {
    kind: 'redis',
    async start(receiver) {
      let interrupted = false;
      sub.on('close', () => {
        interrupted = true;
      });
      sub.on('ready', () => {
        // ioredis subscribes again on reconnect; what was published meanwhile is lost.
        if (interrupted) receiver.lost();
        interrupted = false;
      });
      sub.on('message', (ch: string, text: string) => {
        if (ch !== channel) return;
        const m = unpackMessage(text);
        if (m) receiver.receive(m.organizationId, m.events, m.origin);
      });
      // A Redis outage must not hold the collector's start: ioredis subscribes once it connects.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        sub.subscribe(channel).catch(onError),
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            onError(
              new Error('Redis not reachable yet: live events from other instances will follow once it is'),
            );
            resolve();
          }, 3000);
        }),
      ]);
      clearTimeout(timer);
    },
    async send(origin, organizationId, events) {
      for (const m of packMessages(origin, organizationId, events)) {
        await pub.eval(PUBLISH, 1, `${opts.prefix}stream:seq:${organizationId}`, m.count, channel, m.payload);
      }
    },
    async close() {
      await Promise.all([sub.quit().catch(() => {}), pub.quit().catch(() => {})]);
    },
  };
}
