import type { BatchResponse, FieldError, HeedEvent } from '@heed/protocol';
import { parseRetryAfter } from './backoff.js';
import type { ResolvedSettings } from './settings.js';
import { sleep } from './timers.js';

/** What the SDK does about a response. */
export type Outcome =
  /**
   * 2xx, or 400: items with per-item details were rejected and the collector stored the others.
   * A 400 without any per-item detail rejects every item (retrying cannot help).
   */
  | { kind: 'done'; rejected: Map<number, FieldError[]>; duplicates: number }
  | { kind: 'too_large' }
  /** 401, 403 or another 4xx that retrying cannot fix. */
  | { kind: 'stop'; status: number; message: string }
  | { kind: 'retry'; status?: number; retryAfterMs: number | null; message: string };

/** The request body; `writeKey` goes in it for keepalive sends, which cannot carry headers. */
export function batchBody(batch: HeedEvent[], writeKey?: string): string {
  return JSON.stringify({ batch, sentAt: new Date().toISOString(), writeKey });
}

/** Classifies a status and body into the status taxonomy. */
export async function classify(
  res: { status: number; headers: { get(n: string): string | null }; text(): Promise<string> },
  size: number,
): Promise<Outcome> {
  const { status } = res;
  if (status === 408 || status === 429 || status >= 500)
    return {
      kind: 'retry',
      status,
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
      message: `HTTP ${status}`,
    };
  if (status === 413) return { kind: 'too_large' };
  let body: Partial<BatchResponse> = {};
  try {
    body = JSON.parse(await res.text()) ?? {};
  } catch {
    // an empty or non-JSON body: the status decides alone
  }
  const duplicates = Number(body.duplicates) || 0;
  const rejected = new Map<number, FieldError[]>();
  if (status < 300) return { kind: 'done', rejected, duplicates };
  const message = String(body.error ?? `HTTP ${status}`);
  if (status !== 400) return { kind: 'stop', status, message };
  const details = Array.isArray(body.details) ? body.details : [];
  for (const d of details) {
    const i = d?.index;
    if (typeof i === 'number' && i >= 0 && i < size) rejected.set(i, [...(rejected.get(i) ?? []), d]);
  }
  if (rejected.size === 0)
    for (let i = 0; i < size; i++) rejected.set(i, details.length > 0 ? details : [{ field: '', message }]);
  return { kind: 'done', rejected, duplicates };
}

/** POSTs one batch to /v1/batch and classifies the answer; never rejects. */
export async function postBatch(s: ResolvedSettings, batch: HeedEvent[]): Promise<Outcome> {
  try {
    const json = batchBody(batch);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${s.writeKey}`,
    };
    let body: string | Uint8Array = json;
    if (s.compress && json.length > 1024) {
      const gz = await s.compress(json);
      if (gz) {
        body = gz;
        headers['content-encoding'] = 'gzip';
      }
    }
    const send = s.fetch; // called detached: a browser's fetch refuses any other \`this\` than the window
    const timeout = sleep(s.timeoutMs).then(() => {
      throw new Error(`no answer within ${s.timeoutMs} ms`);
    });
    timeout.catch(() => undefined);
    const res = await Promise.race([send(`${s.host}/v1/batch`, { method: 'POST', headers, body }), timeout]);
    return await classify(res, batch.length);
  } catch (e) {
    return { kind: 'retry', retryAfterMs: null, message: e instanceof Error ? e.message : String(e) };
  }
}
