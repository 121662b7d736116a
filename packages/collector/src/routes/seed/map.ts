import type { FieldError } from '@heed/protocol';
import { isPlainObject, isUuid, uuidv7 } from '@heed/protocol';

/** One interaction of the seed API, as sent. */
export interface SeedItem {
  customerId: string;
  channel: string;
  eventType: string;
  content?: string | null;
  timestamp?: string;
  metadata?: Record<string, unknown>;
  messageId?: string;
}

/** The protocol's field names back to the seed API's. */
const FIELD_NAMES: Array<[RegExp, string]> = [
  [/^event$/, 'eventType'],
  [/^context\.channel$/, 'channel'],
  [/^properties\.(content|text|message)$/, 'content'],
  [/^properties/, 'metadata'],
  [/^userId$/, 'customerId'],
];

export function seedField(field: string): string {
  for (const [re, name] of FIELD_NAMES) if (re.test(field)) return name;
  return field;
}

/** Shape checks the protocol cannot do (customerId is a UUID, types); [] when the item is usable. */
export function seedShapeErrors(item: unknown, index: number): FieldError[] {
  const errors: FieldError[] = [];
  const err = (field: string, message: string) => errors.push({ index, field, message });
  if (!isPlainObject(item)) {
    err('', 'must be an object');
    return errors;
  }
  if (typeof item.customerId !== 'string' || !isUuid(item.customerId)) err('customerId', 'must be a UUID');
  if (typeof item.eventType !== 'string') err('eventType', 'is required');
  if (typeof item.channel !== 'string') err('channel', 'is required');
  if (item.content !== undefined && item.content !== null && typeof item.content !== 'string')
    err('content', 'must be a string');
  if (item.timestamp !== undefined && typeof item.timestamp !== 'string')
    err('timestamp', 'must be an ISO-8601 date');
  if (item.metadata !== undefined && !isPlainObject(item.metadata)) err('metadata', 'must be an object');
  if (item.messageId !== undefined && typeof item.messageId !== 'string')
    err('messageId', 'must be a string');
  return errors;
}

/** The protocol event for a seed item of a known customer (validated by the shared pipeline). */
export function seedToEvent(item: SeedItem, externalId: string): Record<string, unknown> {
  const {
    content: _c,
    text: _t,
    message: _m,
    ...metadata
  } = (item.metadata ?? {}) as Record<string, unknown>;
  return {
    type: 'track',
    messageId: item.messageId ?? uuidv7(),
    userId: externalId,
    event: item.eventType,
    ...(item.timestamp !== undefined ? { timestamp: item.timestamp } : {}),
    properties: { ...metadata, ...(item.content != null ? { content: item.content } : {}) },
    context: { channel: item.channel, source: 'seed-api' },
  };
}
