import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { sendWebhook, signPayload } from '../analysis/webhook.js';
import { createLogger } from '../logger.js';
import { ALERTS, type AlertNotice, AlertRules } from './alerts.js';
import { Metrics } from './metrics.js';

function rules(sources: Parameters<Metrics['watch']>[0] = {}) {
  const metrics = new Metrics();
  metrics.watch(sources);
  const notices: AlertNotice[] = [];
  const alerts = new AlertRules({
    metrics,
    logger: createLogger('silent'),
    instance: 'test:1',
    notify: async (n) => notices.push(n),
  });
  return { metrics, alerts, notices };
}

const traffic = (m: Metrics, n: number, status: number, seconds: number) => {
  for (let i = 0; i < n; i++) m.request('POST', '/v1/batch', status, seconds);
};

describe('in-process alert rules', () => {
  it('error rate over 5%: fires once, stays quiet while firing, then resolves', async () => {
    const { metrics, alerts, notices } = rules();
    await alerts.evaluate(); // the first evaluation only sets the baseline
    traffic(metrics, 90, 200, 0.01);
    traffic(metrics, 10, 503, 0.01);
    await alerts.evaluate();
    expect(notices.map((n) => [n.alert, n.status])).toEqual([[ALERTS.errors, 'firing']]);
    expect(notices[0]?.value).toBeCloseTo(0.1);
    traffic(metrics, 90, 200, 0.01);
    traffic(metrics, 10, 500, 0.01);
    await alerts.evaluate();
    expect(notices).toHaveLength(1); // deduplicated
    traffic(metrics, 100, 200, 0.01);
    await alerts.evaluate();
    expect(notices.map((n) => [n.alert, n.status])).toEqual([
      [ALERTS.errors, 'firing'],
      [ALERTS.errors, 'resolved'],
    ]);
    expect(alerts.active).toEqual([]);
  });

  it('p95 latency over 1 s fires; a slow 4% tail does not', async () => {
    const { metrics, alerts, notices } = rules();
    await alerts.evaluate();
    traffic(metrics, 96, 200, 0.02);
    traffic(metrics, 4, 200, 3);
    await alerts.evaluate();
    expect(notices).toEqual([]);
    traffic(metrics, 80, 200, 0.02);
    traffic(metrics, 20, 200, 2);
    await alerts.evaluate();
    expect(notices.map((n) => n.alert)).toEqual([ALERTS.latency]);
    expect(notices[0]!.value).toBeGreaterThan(1);
  });

  it('too few requests are not judged (one failed request is not a 100% error rate)', async () => {
    const { metrics, alerts, notices } = rules();
    await alerts.evaluate();
    traffic(metrics, 1, 500, 5);
    await alerts.evaluate();
    expect(notices).toEqual([]);
  });

  it('cache hit rate under 70% and an analysis backlog that keeps growing fire', async () => {
    const counters = { hits: 0, misses: 0, byEndpoint: {} };
    let backlog = 50;
    const { alerts, notices } = rules({ cache: { counters }, backlog: async () => backlog });
    await alerts.evaluate();
    counters.hits = 10;
    counters.misses = 30;
    for (let i = 0; i < 3; i++) {
      backlog += 100;
      await alerts.evaluate();
    }
    expect(notices.map((n) => n.alert).sort()).toEqual([ALERTS.backlog, ALERTS.cache].sort());
    // The backlog stops growing: resolved.
    await alerts.evaluate();
    expect(notices.at(-1)).toMatchObject({ alert: ALERTS.backlog, status: 'resolved' });
  });

  it('notices reach the alert webhook signed (the same sender as anomaly alerts)', async () => {
    const received: Array<{ headers: Record<string, unknown>; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const secret = 'alert-secret-0123456789';
    const metrics = new Metrics();
    const logger = createLogger('silent');
    const alerts = new AlertRules({
      metrics,
      logger,
      instance: 'test:1',
      notify: (n) => sendWebhook({ url, secret, logger }, n),
    });
    try {
      await alerts.evaluate();
      traffic(metrics, 50, 500, 0.01);
      await alerts.evaluate();
      expect(received).toHaveLength(1);
      const { headers, body } = received[0]!;
      expect(headers['x-heed-signature']).toBe(
        signPayload(secret, String(headers['x-heed-timestamp']), body),
      );
      expect(JSON.parse(body)).toMatchObject({ type: 'alert', status: 'firing', alert: 'HeedHighErrorRate' });
      expect(await metrics.render().then((r) => r.body)).toContain(
        'heed_alerts_fired_total{alert="HeedHighErrorRate"} 1',
      );
    } finally {
      server.close();
    }
  });
});
