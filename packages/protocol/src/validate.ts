import {
  CHANNELS,
  type Channel,
  EVENT_TYPES,
  type EventType,
  isChannel,
  LIMITS,
  TEXT_CHANNELS,
} from './limits.js';
import type { FieldError, JsonObject } from './types.js';

/** Differences between sentAt and the server clock below this are network latency, not a wrong clock. */
export const CLOCK_SKEW_TOLERANCE_MS = 2_000;

/** An event that passed validation, mapped to Heed's interaction model. */
export interface NormalizedEvent {
  type: EventType;
  messageId: string;
  /** userId ?? anonymousId: the customer's external id. */
  externalId: string;
  userId: string | null;
  anonymousId: string | null;
  /** event for track; name ?? type for page and screen; the type for the others. */
  eventType: string;
  channel: Channel;
  /** properties.content ?? properties.text ?? properties.message, trimmed; null when absent. */
  content: string | null;
  /** When it happened, in epoch ms, corrected for client clock skew. */
  timestamp: number;
  /** The client's timestamp as sent, when the correction changed it. */
  originalTimestamp: string | null;
  clockSkewMs: number;
  properties: JsonObject;
  traits: JsonObject;
  context: JsonObject;
}

export type ValidationResult = { ok: true; event: NormalizedEvent } | { ok: false; errors: FieldError[] };

export interface ValidateOptions {
  /** Server receive time, epoch ms. */
  receivedAt: number;
  /** The batch's sentAt, epoch ms, when valid. */
  sentAt?: number | undefined;
  /** Position in the batch, copied into each error. */
  index?: number | undefined;
  /** Channel used when the event names none. Defaults to `mobile` for screen calls, else `web`. */
  defaultChannel?: Channel | undefined;
}

/** UTF-8 byte length of a string, without TextEncoder (this package runs anywhere). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses an ISO-8601 date (or epoch ms number); NaN when it is not one. */
export function parseTimestamp(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : Number.NaN;
  if (typeof value !== 'string' || value.length < 10 || value.length > 40) return Number.NaN;
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return Number.NaN;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : Number.NaN;
}

function idField(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  return undefined; // wrong type
}

function pickContent(properties: JsonObject): { value: string | null; field: string | null } {
  for (const key of ['content', 'text', 'message'] as const) {
    const v = properties[key];
    if (v !== undefined && v !== null) return { value: typeof v === 'string' ? v : null, field: key };
  }
  return { value: null, field: null };
}

/**
 * Validates one event of a batch and maps it to an interaction. Every problem is reported,
 * not only the first, each with its field path.
 */
export function validateEvent(raw: unknown, opts: ValidateOptions): ValidationResult {
  const errors: FieldError[] = [];
  const err = (field: string, message: string) =>
    errors.push(opts.index === undefined ? { field, message } : { index: opts.index, field, message });

  if (!isPlainObject(raw)) {
    err('', 'must be an object');
    return { ok: false, errors };
  }
  const size = utf8Length(JSON.stringify(raw));
  if (size > LIMITS.maxEventBytes) {
    err('', `event is ${size} bytes; the limit is ${LIMITS.maxEventBytes}`);
    return { ok: false, errors };
  }

  const type = raw.type;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    err('type', `must be one of ${EVENT_TYPES.join(', ')}`);
  }

  const messageId = raw.messageId;
  if (typeof messageId !== 'string' || messageId.trim() === '') err('messageId', 'is required');
  else if (messageId.length > LIMITS.maxMessageIdLength)
    err('messageId', `must be at most ${LIMITS.maxMessageIdLength} characters`);

  const userId = idField(raw.userId);
  const anonymousId = idField(raw.anonymousId);
  if (userId === undefined) err('userId', 'must be a string');
  if (anonymousId === undefined) err('anonymousId', 'must be a string');
  if (userId === null && anonymousId === null) err('userId', 'userId or anonymousId is required');
  for (const [field, v] of [
    ['userId', userId],
    ['anonymousId', anonymousId],
  ] as const) {
    if (typeof v === 'string' && v.length > LIMITS.maxIdLength)
      err(field, `must be at most ${LIMITS.maxIdLength} characters`);
  }

  const objects: Record<'properties' | 'traits' | 'context', JsonObject> = {
    properties: {},
    traits: {},
    context: {},
  };
  for (const key of ['properties', 'traits', 'context'] as const) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (!isPlainObject(v)) err(key, 'must be an object');
    else objects[key] = v;
  }

  let eventType: string | null = null;
  if (type === 'track') {
    const ev = raw.event;
    if (typeof ev !== 'string' || ev.trim() === '') err('event', 'is required for track calls');
    else if (ev.length > LIMITS.maxEventNameLength)
      err('event', `must be at most ${LIMITS.maxEventNameLength} characters`);
    else eventType = ev.trim();
  } else if (typeof type === 'string') {
    eventType = type;
  }

  const rawChannel = objects.context.channel;
  let channel: Channel = opts.defaultChannel ?? (type === 'screen' ? 'mobile' : 'web');
  if (rawChannel !== undefined && rawChannel !== null) {
    if (isChannel(rawChannel)) channel = rawChannel;
    else err('context.channel', `must be one of ${CHANNELS.join(', ')}`);
  }

  const picked = pickContent(objects.properties);
  let content: string | null = null;
  if (picked.field !== null && picked.value === null) {
    err(`properties.${picked.field}`, 'must be a string');
  } else if (picked.value !== null) {
    content = picked.value.trim() === '' ? null : picked.value;
  }
  const wrongType = picked.field !== null && picked.value === null;
  if (content === null && !wrongType && TEXT_CHANNELS.includes(channel)) {
    err(
      `properties.${picked.field ?? 'content'}`,
      picked.field === null ? `is required for the ${channel} channel` : 'must not be empty',
    );
  }

  let timestamp = opts.receivedAt;
  let originalTimestamp: string | null = null;
  let clockSkewMs = 0;
  if (raw.timestamp !== undefined && raw.timestamp !== null) {
    const ts = parseTimestamp(raw.timestamp);
    if (Number.isNaN(ts)) {
      err('timestamp', 'must be an ISO-8601 date');
    } else {
      timestamp = ts;
      if (opts.sentAt !== undefined) {
        const skew = opts.sentAt - opts.receivedAt;
        if (Math.abs(skew) > CLOCK_SKEW_TOLERANCE_MS) {
          // The client's clock is off: shift the event by the same amount (server - (sentAt - timestamp)).
          timestamp = opts.receivedAt - (opts.sentAt - ts);
          originalTimestamp = String(raw.timestamp);
          clockSkewMs = skew;
        }
      }
      if (timestamp > opts.receivedAt + LIMITS.maxFutureSkewMs) err('timestamp', 'must not be in the future');
      else if (timestamp < 0) err('timestamp', 'must be after 1970');
    }
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    event: {
      type: type as EventType,
      messageId: messageId as string,
      externalId: (userId ?? anonymousId) as string,
      userId: userId ?? null,
      anonymousId: anonymousId ?? null,
      eventType: eventType as string,
      channel,
      content,
      timestamp,
      originalTimestamp,
      clockSkewMs,
      properties: objects.properties,
      traits: objects.traits,
      context: objects.context,
    },
  };
}

export interface BatchEnvelope {
  items: unknown[];
  sentAt: number | undefined;
  errors: FieldError[];
}

/** Checks the batch envelope `{ batch: [...], sentAt }`; item problems are left to validateEvent. */
export function parseBatchEnvelope(body: unknown): BatchEnvelope {
  const errors: FieldError[] = [];
  if (!isPlainObject(body))
    return { items: [], sentAt: undefined, errors: [{ field: '', message: 'must be an object' }] };
  const batch = body.batch;
  if (!Array.isArray(batch)) errors.push({ field: 'batch', message: 'must be an array of events' });
  else if (batch.length === 0) errors.push({ field: 'batch', message: 'must not be empty' });
  else if (batch.length > LIMITS.maxBatchEvents)
    errors.push({ field: 'batch', message: `must hold at most ${LIMITS.maxBatchEvents} events` });
  let sentAt: number | undefined;
  if (body.sentAt !== undefined && body.sentAt !== null) {
    const t = parseTimestamp(body.sentAt);
    if (Number.isNaN(t)) errors.push({ field: 'sentAt', message: 'must be an ISO-8601 date' });
    else sentAt = t;
  }
  return { items: Array.isArray(batch) && errors.length === 0 ? batch : [], sentAt, errors };
}
