import { gunzipSync } from 'node:zlib';
import { isPlainObject, parseTimestamp } from '@heed/protocol';
import { HeedError } from '../../errors.js';

/**
 * Decoding of PostHog capture bodies, as posthog-js, posthog-node and the other PostHog libraries
 * send them: plain JSON, gzip (detected by its magic bytes whether or not `compression=gzip-js` or
 * `Content-Encoding: gzip` says so), `data=<base64>` form bodies (`compression=base64`), and base64
 * JSON on its own. lz-string (`compression=lz64`, very old posthog-js) is refused with 400.
 */

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export function isGzip(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === GZIP_MAGIC[0] && buf[1] === GZIP_MAGIC[1];
}

export function gunzipLimited(buf: Uint8Array, maxBytes: number): Buffer {
  try {
    return gunzipSync(buf, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HeedError('payload_too_large', `The body is larger than ${Math.round(maxBytes / 1024)} KB`);
    }
    throw new HeedError('bad_request', 'The body is not valid gzip', { cause: err });
  }
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function looksLikeBase64(text: string): boolean {
  const t = text.trim();
  return t.length >= 4 && BASE64.test(t);
}

export interface DecodeOptions {
  /** The request's Content-Type, lower case, without parameters. */
  contentType: string;
  /** `compression` from the query string (or the `Compression` header). */
  compression: string | undefined;
  maxBytes: number;
}

/**
 * The JSON text of a PostHog body (already read, and inflated when it was gzip). A form body's
 * `compression` field wins over the query's.
 */
export function decodePosthogBody(raw: Buffer, opts: DecodeOptions): Buffer {
  let buf = isGzip(raw) ? gunzipLimited(raw, opts.maxBytes) : raw;
  let compression = opts.compression?.toLowerCase();
  const head = buf.subarray(0, 5).toString('latin1');
  if (opts.contentType === 'application/x-www-form-urlencoded' || head === 'data=') {
    const form = new URLSearchParams(buf.toString('utf8'));
    const data = form.get('data');
    if (data === null) throw new HeedError('bad_request', 'The form body has no data field');
    compression = form.get('compression')?.toLowerCase() ?? compression;
    // A form decoder turns an unescaped '+' into a space; base64 has no spaces.
    const unspaced = data.replace(/ /g, '+');
    if (compression !== 'base64' && !looksLikeBase64(unspaced)) return Buffer.from(data);
    buf = Buffer.from(unspaced);
  }
  if (compression === 'lz64' || compression === 'lz-string') {
    throw new HeedError('bad_request', 'compression=lz64 is not supported; use gzip-js or base64');
  }
  const text = buf.toString('latin1', 0, Math.min(buf.length, 64)).trimStart();
  if (text.startsWith('{') || text.startsWith('[')) return buf;
  if (compression === 'base64' || looksLikeBase64(buf.toString('latin1'))) {
    const decoded = Buffer.from(buf.toString('latin1').trim(), 'base64');
    return isGzip(decoded) ? gunzipLimited(decoded, opts.maxBytes) : decoded;
  }
  return buf;
}

export interface PosthogPayload {
  events: unknown[];
  /** The project token (Heed write key) named by the body, if any. */
  token: string | undefined;
  /** The batch's `sent_at`, epoch ms. */
  sentAt: number | undefined;
}

function tokenOf(v: unknown): string | undefined {
  if (!isPlainObject(v)) return undefined;
  for (const k of ['api_key', 'token', '$token'] as const) {
    const t = v[k];
    if (typeof t === 'string' && t.trim() !== '') return t.trim();
  }
  const props = v.properties;
  if (isPlainObject(props) && typeof props.token === 'string' && props.token.trim() !== '') {
    return props.token.trim();
  }
  return undefined;
}

/** The token shared by all events of an array body; 400 when they name different ones. */
function sharedToken(events: unknown[]): string | undefined {
  const tokens = new Set(events.map(tokenOf).filter((t): t is string => t !== undefined));
  if (tokens.size > 1) throw new HeedError('bad_request', 'The events name different api keys');
  return tokens.values().next().value;
}

/**
 * The three body shapes of PostHog capture: `{ api_key, batch: [...], sent_at }` (`/batch/`,
 * posthog-node), an array of events (posthog-js), one event (`/capture/`). The key is `api_key`
 * or `token` on the body, else on the events (`token`, `$token`, `api_key`, `properties.token`).
 */
export function splitPosthogPayload(body: unknown): PosthogPayload {
  if (Array.isArray(body)) {
    if (body.length === 0) throw new HeedError('validation_failed', 'The body holds no events');
    return { events: body, token: sharedToken(body), sentAt: undefined };
  }
  if (!isPlainObject(body)) {
    throw new HeedError('validation_failed', 'The body must be an event, an array of events or a batch');
  }
  if (body.batch !== undefined) {
    if (!Array.isArray(body.batch) || body.batch.length === 0) {
      throw new HeedError('validation_failed', 'The batch is malformed', {
        details: [{ field: 'batch', message: 'must be a non-empty array of events' }],
      });
    }
    const sentAt = parseTimestamp(body.sent_at);
    return {
      events: body.batch,
      token: tokenOf({ api_key: body.api_key, token: body.token }) ?? sharedToken(body.batch),
      sentAt: Number.isNaN(sentAt) ? undefined : sentAt,
    };
  }
  return { events: [body], token: tokenOf(body), sentAt: undefined };
}

/**
 * posthog-js sends its clock as `?_=<epoch ms>`; older libraries sent seconds, which are ignored
 * (as PostHog does: only values after 2020 count).
 */
export function sentAtFromQuery(value: string | undefined): number | undefined {
  if (!value || !/^\d+$/.test(value)) return undefined;
  const ms = Number(value);
  return ms > Date.UTC(2020, 0, 1) ? ms : undefined;
}
