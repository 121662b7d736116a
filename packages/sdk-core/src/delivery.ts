import type { BatchResponse, HeedEvent } from '@heed/protocol';
import { parseRetryAfter } from './backoff.js';
import type { ResolvedSettings } from './settings.js';

/**
 * What came back from one POST: the HTTP status (0 for a network error or a timeout), the parsed
 * JSON body (`{}` when there is none; `error` holds the network error's message) and Retry-After in ms.
 */
export type Reply = [status: number, body: Partial<BatchResponse>, retryAfterMs: number | null];

/** `AbortSignal.timeout`, in browsers since 2022 and in Node 17.3+ (typed here: no DOM/Node types). */
const { AbortSignal: Signal } = globalThis as unknown as { AbortSignal?: { timeout?(ms: number): unknown } };

/** The request body; `writeKey` goes in it for keepalive sends, which cannot carry headers. */
export const batchBody = (batch: HeedEvent[], writeKey?: string): string =>
  JSON.stringify({ batch, sentAt: new Date().toISOString(), writeKey });

/** 408, 429, 5xx and network errors (status 0) are worth retrying; the rest of the taxonomy is in Core. */
export const retryable = (status: number): boolean =>
  !status || status === 408 || status === 429 || status > 499;

/**
 * POSTs one batch to /v1/batch (gzipped when it pays); never rejects. A request still running
 * after `timeoutMs` is aborted and counts as a network error (where the runtime lacks
 * AbortSignal.timeout, the browser's own network timeout applies).
 */
export async function postBatch(s: ResolvedSettings, batch: HeedEvent[]): Promise<Reply> {
  try {
    let body: string | Uint8Array = batchBody(batch);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Bearer ${s.writeKey}`,
    };
    const gz = s.compress && body.length > 1024 && (await s.compress(body));
    if (gz) {
      body = gz;
      headers['content-encoding'] = 'gzip';
    }
    const send = s.fetch; // called detached: a browser's fetch refuses any other `this` than the window
    const res = await send(`${s.host}/v1/batch`, {
      method: 'POST',
      headers,
      body,
      signal: Signal?.timeout?.(s.timeoutMs),
    });
    let json: Partial<BatchResponse> = {};
    try {
      json = JSON.parse(await res.text()) ?? {};
    } catch {
      // an empty or non-JSON body: the status decides alone
    }
    return [res.status, json, parseRetryAfter(res.headers.get('retry-after'))];
  } catch (e) {
    return [0, { error: (e as Error)?.message ?? String(e) }, null];
  }
}
