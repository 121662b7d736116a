/** Largest serialized event accepted by the collector, in bytes (Segment's limit). */
export const MAX_EVENT_BYTES = 32 * 1024;
/** Largest request body accepted by the collector, in bytes (Segment's limit). */
export const MAX_BATCH_BYTES = 500 * 1024;
/** Largest number of events in one batch request. */
export const MAX_BATCH_EVENTS = 1000;
/** A browser keepalive request (sendBeacon / fetch keepalive) must stay under this budget. */
export const MAX_KEEPALIVE_BYTES = 64 * 1024;

/**
 * Hard limits shared by the SDKs and the collector. The SDKs import the constants above one by one,
 * so that a bundler inlines what they use and leaves this object out of the browser build.
 */
export const LIMITS = {
  maxEventBytes: MAX_EVENT_BYTES,
  maxBatchBytes: MAX_BATCH_BYTES,
  maxBatchEvents: MAX_BATCH_EVENTS,
  maxKeepaliveBytes: MAX_KEEPALIVE_BYTES,
  /** How far in the future a timestamp may be before it is rejected (client clock skew). */
  maxFutureSkewMs: 5 * 60 * 1000,
  /** Longest event name / eventType. */
  maxEventNameLength: 200,
  /** Longest user / anonymous id. */
  maxIdLength: 255,
  /** Longest messageId. */
  maxMessageIdLength: 255,
} as const;

export const CHANNELS = ['web', 'mobile', 'email', 'chat', 'phone'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Channels whose interactions are texts: content is required. */
export const TEXT_CHANNELS: readonly Channel[] = ['email', 'chat'];

export const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);
}
