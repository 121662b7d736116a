import type { EventType, JsonObject } from '@heed/protocol';
import { isPlainObject } from '@heed/protocol';
import { fallbackMessageId, inferChannel } from '../../ingest/compat.js';

/** PostHog's special events that are Segment call types in Heed's model; every other event is a track. */
export const POSTHOG_CALL_TYPES: Record<string, EventType> = {
  $identify: 'identify',
  $set: 'identify',
  $pageview: 'page',
  $screen: 'screen',
  $create_alias: 'alias',
  $groupidentify: 'group',
};

/** Validation field names in PostHog's terms, for per-event errors. */
export const POSTHOG_FIELD_NAMES: Record<string, string> = {
  userId: 'distinct_id',
  anonymousId: 'distinct_id',
  messageId: 'uuid',
  context: 'properties',
};

/** Transport fields posthog-js repeats in every event's properties: not stored (the key is a secret). */
const TRANSPORT_KEYS = ['token', '$token', 'api_key', 'distinct_id', '$distinct_id'];

export interface PosthogMapOptions {
  /** Server receive time, epoch ms. */
  receivedAt: number;
  /** The client's send time (`sent_at` of a batch, `?_=` of posthog-js), epoch ms. */
  sentAt: number | undefined;
  /** posthog-js's `?retry_count=`: recorded as `context.retryCount` when above 0. */
  retryCount: number | undefined;
  fromBrowser: boolean;
}

function str(v: unknown, max = 1000): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.slice(0, max) : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** PostHog's distinct_id rules: numbers and containers are stringified, at most 200 characters. */
export function distinctIdOf(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const t = s.trim();
  return t === '' ? undefined : t.slice(0, 200);
}

function defined(o: Record<string, unknown>): Record<string, unknown> | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** A Segment-shaped context from PostHog's `$` properties (which stay in properties as sent). */
function contextOf(props: JsonObject, type: EventType, opts: PosthogMapOptions): Record<string, unknown> {
  const library = str(props.$lib, 100);
  const ctx: Record<string, unknown> =
    defined({
      library: library ? { name: library, version: str(props.$lib_version, 50) ?? '' } : undefined,
      userAgent: str(props.$raw_user_agent),
      ip: str(props.$ip, 100),
      sessionId: str(props.$session_id, 200),
      timezone: str(props.$timezone, 100),
      locale: str(props.$locale, 50) ?? str(props.$browser_language, 50),
      page: defined({
        url: str(props.$current_url, 2000),
        path: str(props.$pathname, 2000),
        referrer: str(props.$referrer, 2000),
        title: str(props.$title, 500),
      }),
      screen: defined({ width: num(props.$screen_width), height: num(props.$screen_height) }),
      retryCount: opts.retryCount && opts.retryCount > 0 ? opts.retryCount : undefined,
    }) ?? {};
  ctx.channel = inferChannel({
    properties: props,
    library,
    deviceType: str(props.$device_type, 50),
    type,
    fromBrowser: opts.fromBrowser,
  });
  return ctx;
}

/**
 * One PostHog event as a protocol event:
 * - customer: `distinct_id` (top level, `$distinct_id` or `properties.distinct_id`) as userId, or as
 *   anonymousId when posthog-js says the person is not identified (`$is_identified: false`);
 *   `$identify` also records `$anon_distinct_id` as anonymousId;
 * - type: `$identify`/`$set` identify (traits = `$set`: segment, email... into the profile),
 *   `$pageview` page, `$screen` screen, `$create_alias` alias, `$groupidentify` group, else track
 *   named by `event`; `$set` on other events updates the segment through `context.traits`
 *   (`$set_once` stays in properties: the profile merge has no set-once);
 * - messageId: `uuid` (PostHog's dedupe key);
 * - timestamp: `offset` (ms before the client's send time) when present, else `timestamp`;
 * - properties as sent (minus the token), context from `$lib`, `$current_url`, `$raw_user_agent`...
 */
export function fromPosthog(raw: unknown, opts: PosthogMapOptions): unknown {
  if (!isPlainObject(raw)) return raw;
  const props: JsonObject = isPlainObject(raw.properties) ? { ...raw.properties } : {};
  const distinctId = distinctIdOf(raw.distinct_id ?? raw.$distinct_id ?? props.distinct_id);
  for (const k of TRANSPORT_KEYS) delete props[k];
  const name = typeof raw.event === 'string' ? raw.event.trim() : '';
  const type: EventType = Object.hasOwn(POSTHOG_CALL_TYPES, name) ? POSTHOG_CALL_TYPES[name]! : 'track';
  const set: JsonObject = {
    ...(isPlainObject(props.$set) ? props.$set : {}),
    ...(isPlainObject(raw.$set) ? raw.$set : {}),
  };
  delete props.$set; // stored once, as traits
  const context = contextOf(props, type, opts);

  const event: Record<string, unknown> = { type, properties: props, context };
  if (type === 'track') event.event = name === '' ? raw.event : name;
  if (type === 'identify') {
    event.traits = set;
    event.userId = distinctId;
    event.anonymousId = distinctIdOf(props.$anon_distinct_id);
  } else {
    if (Object.keys(set).length > 0) context.traits = set;
    event[props.$is_identified === false ? 'anonymousId' : 'userId'] = distinctId;
  }
  if (type === 'alias') event.previousId = distinctIdOf(props.alias);
  if (type === 'group') {
    event.groupId = `${String(props.$group_type ?? '')}:${String(props.$group_key ?? '')}`;
    event.traits = isPlainObject(props.$group_set) ? props.$group_set : {};
  }

  const offset = num(raw.offset);
  if (offset !== undefined && offset >= 0) {
    const at = new Date((opts.sentAt ?? opts.receivedAt) - offset);
    // An offset too large for a date stays as it came, for validation to reject the event alone.
    event.timestamp = Number.isNaN(at.getTime()) ? offset : at.toISOString();
  } else if (raw.timestamp !== undefined && raw.timestamp !== null) {
    event.timestamp = raw.timestamp;
  }
  const uuid = raw.uuid;
  event.messageId =
    uuid === undefined || uuid === null || uuid === '' ? fallbackMessageId(withoutKeys(raw)) : uuid;
  return event;
}

function withoutKeys(raw: JsonObject): JsonObject {
  const { api_key: _a, token: _t, $token: _d, ...rest } = raw;
  return rest;
}
