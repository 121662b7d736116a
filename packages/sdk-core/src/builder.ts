import type { EventContext, EventType, HeedEvent, JsonObject } from '@heed/protocol';
import { uuidv7 } from '@heed/protocol';

/** What a call supplies; the builder adds messageId, timestamp and context.library. */
export interface EventFields {
  userId?: string | undefined;
  anonymousId?: string | undefined;
  event?: string | undefined;
  name?: string | undefined;
  groupId?: string | undefined;
  previousId?: string | undefined;
  properties?: JsonObject | undefined;
  traits?: JsonObject | undefined;
  context?: EventContext | undefined;
  /** When it happened. Default: now. */
  timestamp?: Date | string | undefined;
  /** Idempotency key. Default: a new UUIDv7. */
  messageId?: string | undefined;
}

export interface Library {
  name: string;
  version: string;
}

/** Builds a wire event. Fields left undefined stay as undefined keys, which JSON leaves out. */
export function buildEvent(type: EventType, fields: EventFields, library: Library): HeedEvent {
  const { timestamp, messageId, context, ...rest } = fields;
  return {
    type,
    ...rest,
    messageId: messageId ?? uuidv7(),
    timestamp: typeof timestamp === 'string' ? timestamp : (timestamp ?? new Date()).toISOString(),
    context: { ...context, library },
  } as HeedEvent;
}
