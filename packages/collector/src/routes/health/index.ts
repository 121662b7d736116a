import { Hono } from 'hono';
import { HeedError } from '../../errors.js';
import type { Storage } from '../../storage/types.js';

/** Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers). */
export function healthRoutes(storage: Storage, opts: { timeoutMs?: number } = {}) {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const timeoutMs = opts.timeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        storage.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
        }),
      ]);
    } catch (err) {
      throw new HeedError('service_unavailable', 'The database is unreachable', {
        cause: err,
        retryAfter: 5,
      });
    } finally {
      clearTimeout(timer);
    }
    return c.json({ status: 'ready', database: storage.dialect });
  });
  return app;
}
