import type { BatchResponse, FieldError, HeedEvent } from '@heed/protocol';
import { parseRetryAfter } from './backoff.js';
import type { ResolvedSettings } from './settings.js';
import { sleep } from './timers.js';

/** What the SDK does about a response. */
export type Outcome =
  | { kind: 'ok'; duplicates: number }
  /** 400 with per-item details: the collector stored the other items of the batch. */
  | { kind: 'partial'; rejected: Map<number, FieldError[]>; duplicates: number }
  /** 400 without per-item details: the whole request is unusable; retrying will not help. */
  | { kind: 'bad'; details: FieldError[]; message: string }
  | { kind: 'too_large' }
  /** 401, 403 or another 4xx that retrying cannot fix. */
  | { kind: 'stop'; status: number; message: string }
  | { kind: 'retry'; status?: number; retryAfterMs: number | null; message: string };

/** The request body; `writeKey` goes in it for keepalive sends, which cannot carry headers. */
export function batchBody(batch: HeedEvent[], writeKey?: string): string {
  return JSON.stringify(
    writeKey
      ? { batch, sentAt: new Date().toISOString(), writeKey }
      : { batch, sentAt: new Date().toISOString() },
  );
}

async function readJson(res: { text(): Promise<string> }): Promise<Partial<BatchResponse>> {
  try {
    const v: unknown = JSON.parse(await res.text());
    return typeof v === 'object' && v !== null ? (v as Partial<BatchResponse>) : {};
  } catch {
    return {};
  }
}

/** Classifies a status and body into the status taxonomy. */
export async function classify(
  res: { status: number; headers: { get(n: string): string | null }; text(): Promise<string> },
  size: number,
): Promise<Outcome> {
  const { status } = res;
  if (status >= 200 && status < 300) {
    const body = await readJson(res);
    return { kind: 'ok', duplicates: typeof body.duplicates === 'number' ? body.duplicates : 0 };
  }
  if (status === 408 || status === 429 || status >= 500)
    return {
      kind: 'retry',
      status,
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
      message: `HTTP ${status}`,
    };
  if (status === 413) return { kind: 'too_large' };
  const body = await readJson(res);
  const message = typeof body.error === 'string' ? body.error : `HTTP ${status}`;
  if (status === 400) {
    const details = Array.isArray(body.details) ? body.details : [];
    const rejected = new Map<number, FieldError[]>();
    for (const d of details) {
      if (typeof d?.index === 'number' && d.index >= 0 && d.index < size)
        rejected.set(d.index, [...(rejected.get(d.index) ?? []), d]);
    }
    if (rejected.size > 0)
      return {
        kind: 'partial',
        rejected,
        duplicates: typeof body.duplicates === 'number' ? body.duplicates : 0,
      };
    return { kind: 'bad', details, message };
  }
  return { kind: 'stop', status, message };
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
    const timeout = sleep(s.timeoutMs).then(() => {
      throw new Error(`no answer within ${s.timeoutMs} ms`);
    });
    timeout.catch(() => undefined);
    const res = await Promise.race([
      s.fetch(`${s.host}/v1/batch`, { method: 'POST', headers, body }),
      timeout,
    ]);
    return await classify(res, batch.length);
  } catch (e) {
    return { kind: 'retry', retryAfterMs: null, message: e instanceof Error ? e.message : String(e) };
  }
}
