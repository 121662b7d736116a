export type { Channel, EventType } from './limits.js';
export {
  CHANNELS,
  EVENT_TYPES,
  isChannel,
  LIMITS,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_EVENT_BYTES,
  MAX_KEEPALIVE_BYTES,
  TEXT_CHANNELS,
} from './limits.js';
export type {
  BatchRequest,
  BatchResponse,
  EventContext,
  FieldError,
  HeedEvent,
  JsonObject,
  JsonValue,
} from './types.js';
export { isUuid, uuidv7 } from './uuid.js';
export type { BatchEnvelope, NormalizedEvent, ValidateOptions, ValidationResult } from './validate.js';
export {
  CLOCK_SKEW_TOLERANCE_MS,
  isPlainObject,
  parseBatchEnvelope,
  parseTimestamp,
  utf8Length,
  validateEvent,
} from './validate.js';
