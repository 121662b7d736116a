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
  /** When it happened: a Date or an ISO 8601 string. Default: now. */
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
    // a string as given, a Date as ISO text. An invalid Date gives null (toJSON does not throw,
    // unlike toISOString), which the collector reads as the time it received the event; anything
    // else is left out the same way: building an event never throws into the app.
    timestamp: typeof timestamp === 'string' ? timestamp : (timestamp ?? new Date()).toJSON?.(),
    context: { ...context, library },
  } as HeedEvent;
}
