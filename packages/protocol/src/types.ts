import type { Channel, EventType } from './limits.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Context attached to every event (a superset of Segment's context object). */
export interface EventContext {
  channel?: Channel;
  library?: { name: string; version: string };
  userAgent?: string;
  ip?: string;
  locale?: string;
  timezone?: string;
  page?: { url?: string; path?: string; referrer?: string; title?: string; search?: string };
  screen?: { width?: number; height?: number; density?: number };
  campaign?: { name?: string; source?: string; medium?: string; term?: string; content?: string };
  location?: { country?: string; region?: string; city?: string; latitude?: number; longitude?: number };
  traits?: JsonObject;
  sessionId?: string;
  [key: string]: unknown;
}

/** One event on the wire: Segment's spec plus Heed's channel and content conventions. */
export interface HeedEvent {
  type: EventType;
  messageId: string;
  timestamp: string;
  userId?: string;
  anonymousId?: string;
  /** Name of a track event. */
  event?: string;
  /** Name of a page or screen. */
  name?: string;
  /** group id of a group call. */
  groupId?: string;
  /** Previous id of an alias call. */
  previousId?: string;
  properties?: JsonObject;
  traits?: JsonObject;
  context?: EventContext;
}

/** Body of POST /v1/batch. */
export interface BatchRequest {
  batch: HeedEvent[];
  sentAt?: string;
  writeKey?: string;
}

/** A field-level problem with a request or one of its items. */
export interface FieldError {
  /** Position of the item in the batch, when the problem is with one item. */
  index?: number;
  /** Dotted path of the offending field, e.g. `context.channel`. */
  field: string;
  message: string;
}

/** Answer of POST /v1/batch (both 200 and 400 carry the counters). */
export interface BatchResponse {
  success: boolean;
  /** Events stored by this request. */
  accepted: number;
  /** Events already stored earlier (same messageId): not stored twice, still a success. */
  duplicates: number;
  /** Events rejected, with reasons. */
  rejected: number;
  error?: string;
  code?: string;
  details?: FieldError[];
  requestId?: string;
}
