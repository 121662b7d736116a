import { gunzipSync } from 'node:zlib';
import type { Context } from 'hono';
import { HeedError } from '../errors.js';

export interface BodyLimits {
  /** Largest body, compressed or not, in bytes. */
  maxBytes: number;
  /** Deepest nesting of arrays/objects accepted. */
  maxDepth: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = { maxBytes: 500 * 1024, maxDepth: 32 };

const JSON_TYPES = ['application/json', 'text/plain', 'application/x-ndjson', ''];

/** Reads the raw body with a hard size limit (413), inflating gzip detected by header or magic bytes. */
export async function readRawBody(c: Context, limits: BodyLimits = DEFAULT_BODY_LIMITS): Promise<Buffer> {
  const declared = Number(c.req.header('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limits.maxBytes) throw tooLarge(limits.maxBytes);
  const stream = c.req.raw.body;
  const parts: Uint8Array[] = [];
  let total = 0;
  if (stream) {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limits.maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(limits.maxBytes);
      }
      parts.push(value);
    }
  }
  let buf = Buffer.concat(parts);
  const encoding = (c.req.header('content-encoding') ?? '').toLowerCase();
  if (encoding === 'gzip' || (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b)) {
    try {
      buf = gunzipSync(buf, { maxOutputLength: limits.maxBytes });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limits.maxBytes);
      throw new HeedError('bad_request', 'The body is not valid gzip', { cause: err });
    }
  } else if (encoding !== '' && encoding !== 'identity') {
    throw new HeedError('unsupported_media_type', `Content-Encoding ${encoding} is not supported; use gzip`);
  }
  return buf;
}

/** Reads a JSON body (application/json or text/plain, as Segment's browser library sends). */
export async function readJsonBody(c: Context, limits: BodyLimits = DEFAULT_BODY_LIMITS): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!JSON_TYPES.includes(type)) {
    throw new HeedError(
      'unsupported_media_type',
      `Content-Type ${type} is not supported; send application/json`,
    );
  }
  const buf = await readRawBody(c, limits);
  return parseJson(buf, limits.maxDepth);
}

export function parseJson(buf: Buffer, maxDepth: number): unknown {
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let decoded: string;
  try {
    decoded = text.decode(buf);
  } catch (err) {
    throw new HeedError('invalid_json', 'The body is not valid UTF-8', { cause: err });
  }
  if (decoded.trim() === '') throw new HeedError('invalid_json', 'The body is empty');
  if (exceedsDepth(decoded, maxDepth)) {
    throw new HeedError('bad_request', `The body is nested deeper than ${maxDepth} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(decoded);
  } catch (err) {
    throw new HeedError('invalid_json', `The body is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return UNSTORABLE_ESCAPE.test(decoded) ? storable(value) : value;
}

/** `\u0000` and lone surrogates: valid JSON, but PostgreSQL cannot store them (text or jsonb). */
const UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f][0-9a-f]{2})/i;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Replaces NULs and lone surrogates by U+FFFD in every string and key, so both dialects store the same. */
export function storable(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(LONE_SURROGATE, '\ufffd').replaceAll('\0', '\ufffd');
  if (Array.isArray(v)) return v.map(storable);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    // defineProperty: a `__proto__` key stays an own property, as JSON.parse made it.
    Object.defineProperty(out, storable(k) as string, {
      value: storable(x),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Nesting depth of a JSON text, scanned without recursion (strings skipped). */
function exceedsDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92)
        i++; // backslash: skip the escaped char
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 91 || ch === 123) {
      if (++depth > maxDepth) return true;
    } else if (ch === 93 || ch === 125) depth--;
  }
  return false;
}

function tooLarge(max: number): HeedError {
  return new HeedError('payload_too_large', `The body is larger than ${Math.round(max / 1024)} KB`);
}
