import { createHash } from 'node:crypto';
import type { Channel, JsonObject } from '@heed/protocol';
import { isChannel, isPlainObject, uuidv7 } from '@heed/protocol';
import type { Context } from 'hono';
import type { AppContext } from '../context.js';
import { HeedError } from '../errors.js';
import { checkOrigin, keyFromHeader } from '../middleware/write-key.js';
import type { ApiKeyRecord } from '../storage/types.js';
import type { RequestFacts } from './enrich.js';
import { type IngestResult, ingestItems, publishCreated } from './pipeline.js';

/**
 * Shared by the compatibility endpoints (Segment, PostHog): they translate their clients' bodies into
 * protocol events and hand them to the same pipeline as `/v1/batch`.
 */

export function requestFacts(c: Context): RequestFacts {
  return {
    userAgent: c.req.header('user-agent'),
    fromBrowser: c.req.header('origin') !== undefined,
    header: (n) => c.req.header(n),
  };
}

/**
 * The write key of a request: the Authorization header (Bearer or Segment's Basic) wins, then the
 * key named in the body. Checks the key's allowed origins. 401 when there is none or it is unknown.
 */
export async function resolveRequestKey(
  ctx: Pick<AppContext, 'resolveKey'>,
  c: Context,
  bodyKey: string | undefined,
): Promise<ApiKeyRecord> {
  const headerKey = keyFromHeader(c.req.header('authorization'));
  const key = headerKey ?? bodyKey;
  if (!key) throw new HeedError('unauthorized', 'Missing write key');
  const rec = await ctx.resolveKey(key);
  checkOrigin(c, rec);
  return rec;
}

/**
 * Runs the native pipeline for already-translated events and publishes what was stored. The
 * pipeline's dependencies come from the app context, as for `/v1/batch`.
 */
export function ingestTranslated(
  ctx: AppContext,
  c: Context,
  organizationId: string,
  items: unknown[],
  timing: { receivedAt: number; sentAt: number | undefined },
): Promise<IngestResult> {
  return ingestItems({ ...ctx, onStored: publishCreated(ctx.hub) }, organizationId, items, {
    ...timing,
    request: requestFacts(c),
  });
}

/** JSON with object keys sorted, so that equal values always serialize alike. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * A messageId for an event that came without one. When the event has its own timestamp, the id is a
 * hash of its content, so that a client retrying the same call is deduplicated; without a timestamp
 * two identical calls cannot be told apart from one retried call, and each gets a fresh id instead.
 */
export function fallbackMessageId(event: JsonObject | Record<string, unknown>): string {
  if (event.timestamp === undefined || event.timestamp === null) return uuidv7();
  const hash = createHash('sha256').update(stableStringify(event)).digest('hex');
  return `heed-${hash.slice(0, 40)}`;
}

/** Library names of mobile SDKs (Segment's and PostHog's). */
const MOBILE_LIBRARY =
  /ios|android|react-native|flutter|swift|kotlin|xamarin|unity|cordova|capacitor|expo|mobile/i;
/** Library names of browser SDKs. */
const BROWSER_LIBRARY = /^(analytics\.js|analytics-next|web|posthog-js)/i;
const MOBILE_DEVICE = new Set(['mobile', 'tablet', 'ios', 'android', 'smartphone', 'phone']);

export interface ChannelHints {
  /** The event's properties: `properties.channel` names a channel when it is one of the five. */
  properties: JsonObject;
  /** The client library's name (Segment `context.library.name`, PostHog `$lib`). */
  library: string | undefined;
  /** A device type the client reported (Segment `context.device.type`, PostHog `$device_type`). */
  deviceType: string | undefined;
  type: string;
  fromBrowser: boolean;
}

/**
 * The channel of an event whose client did not set `context.channel` (foreign clients never do):
 * `properties.channel` when it names one, `mobile` for mobile libraries, mobile devices and screen
 * calls, else `web` (browser libraries, and server libraries that name no channel).
 */
export function inferChannel(h: ChannelHints): Channel {
  if (isChannel(h.properties.channel)) return h.properties.channel;
  if (h.library && BROWSER_LIBRARY.test(h.library)) return 'web';
  if (h.library && MOBILE_LIBRARY.test(h.library)) return 'mobile';
  if (h.deviceType && MOBILE_DEVICE.has(h.deviceType.toLowerCase())) return 'mobile';
  if (h.type === 'screen') return 'mobile';
  return 'web';
}

/** Renames validation fields in per-item errors to a foreign client's own names. */
export function renameFields<T extends { field: string }>(details: T[], names: Record<string, string>): T[] {
  return details.map((d) => {
    const head = d.field.split('.')[0] ?? '';
    const own = (k: string) => (Object.hasOwn(names, k) ? names[k] : undefined);
    const renamed = own(d.field) ?? (own(head) ? `${own(head)}${d.field.slice(head.length)}` : d.field);
    return renamed === d.field ? d : { ...d, field: renamed };
  });
}

/** The answer of a compatibility endpoint: 200 with counters, or 400 listing the rejected events. */
export function answer(
  c: Context,
  result: IngestResult,
  total: number,
  body: Record<string, unknown>,
  fieldNames: Record<string, string> = {},
) {
  const counters = { accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejected };
  if (result.details.length > 0) {
    throw new HeedError(
      'validation_failed',
      total === 1 ? 'The event was rejected' : `${result.rejected} of ${total} events were rejected`,
      { details: renameFields(result.details, fieldNames), extra: { success: false, ...counters } },
    );
  }
  return c.json({ ...body, ...counters });
}
