import type { Redis } from 'ioredis';

/** Something cached by every instance has changed: forget it. */
export type Invalidation = { kind: 'user'; organizationId: string; userId: string } | { kind: 'keys' };

/**
 * Carries revocations (logout, password or role change, deactivation, key revocation) to every
 * instance's caches. Handlers of this process run synchronously in `publish`, so a revocation is
 * effective here before the request that made it answers; other instances hear it over Redis.
 */
export interface InvalidationBus {
  publish(message: Invalidation): Promise<void>;
  subscribe(handler: (message: Invalidation) => void): void;
  close(): Promise<void>;
}

/** One process: handlers only. */
export function localBus(): InvalidationBus {
  const handlers: Array<(m: Invalidation) => void> = [];
  return {
    async publish(m) {
      for (const h of handlers) h(m);
    },
    subscribe(h) {
      handlers.push(h);
    },
    async close() {},
  };
}

/** Every instance: Redis pub/sub on `channel` (`sub` becomes a subscriber connection). */
export function redisBus(
  pub: Redis,
  sub: Redis,
  channel: string,
  onError: (err: Error) => void = () => {},
): InvalidationBus {
  const local = localBus();
  const origin = crypto.randomUUID();
  sub.subscribe(channel).catch(onError);
  sub.on('message', (ch: string, raw: string) => {
    if (ch !== channel) return;
    try {
      const { from, message } = JSON.parse(raw) as { from: string; message: Invalidation };
      if (from !== origin) void local.publish(message);
    } catch (err) {
      onError(err as Error);
    }
  });
  return {
    async publish(m) {
      await local.publish(m);
      await pub.publish(channel, JSON.stringify({ from: origin, message: m })).catch(onError);
    },
    subscribe: local.subscribe,
    async close() {
      await sub.quit().catch(() => {});
    },
  };
}
