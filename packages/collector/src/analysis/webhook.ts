import { createHmac } from 'node:crypto';
import type { Logger } from '../logger.js';

export interface WebhookOptions {
  url: string;
  /** HMAC-SHA256 key; the signature goes in `X-Heed-Signature: sha256=<hex>` over `<timestamp>.<body>`. */
  secret: string;
  logger: Logger;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Sends one JSON alert, signed; one retry after a second on failure. Never throws. */
export async function sendWebhook(opts: WebhookOptions, payload: unknown): Promise<boolean> {
  const body = JSON.stringify(payload);
  const doFetch = opts.fetch ?? fetch;
  for (let attempt = 1; attempt <= 2; attempt++) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const res = await doFetch(opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'heed-alerts/0.1',
          'x-heed-timestamp': timestamp,
          'x-heed-signature': signPayload(opts.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
      });
      if (res.ok) return true;
      opts.logger.warn({ status: res.status, attempt }, 'alert webhook answered an error');
    } catch (err) {
      opts.logger.warn({ err: (err as Error).message, attempt }, 'alert webhook failed');
    }
    if (attempt === 1) await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}
