import { timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono } from 'hono';
import type { AppContext } from '../../context.js';
import { HeedError } from '../../errors.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * `GET /metrics`: Prometheus text format. With METRICS_TOKEN set it needs `Authorization: Bearer
 * <token>`; without, it answers only to loopback clients that did not come through a proxy (no
 * X-Forwarded-For), so a public port never exposes it by accident.
 */
export function metricsRoutes(ctx: Pick<AppContext, 'metrics' | 'config'>) {
  const app = new Hono();
  const token = ctx.config.metricsToken;
  app.get('/metrics', async (c) => {
    if (token ? !bearerMatches(c, token) : !isLocal(c)) {
      throw new HeedError(
        token ? 'unauthorized' : 'forbidden',
        token
          ? 'Send Authorization: Bearer <METRICS_TOKEN>'
          : 'Set METRICS_TOKEN to scrape /metrics from another host',
      );
    }
    const { contentType, body } = await ctx.metrics.render();
    return c.body(body, 200, { 'content-type': contentType, 'cache-control': 'no-store' });
  });
  return app;
}

function bearerMatches(c: Context, token: string): boolean {
  const header = c.req.header('authorization') ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7).trim() : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function isLocal(c: Context): boolean {
  if (c.req.header('x-forwarded-for') || c.req.header('forwarded')) return false;
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    return true; // in-process request (app.request()): no network peer at all
  }
  return address !== undefined && LOOPBACK.test(address);
}
