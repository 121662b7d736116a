export { backoffDelay, MAX_RETRY_AFTER_MS, parseRetryAfter } from './backoff.js';
export type { EventFields, Library } from './builder.js';
export { buildEvent } from './builder.js';
export {
  type Core,
  createCore,
  createEngine,
  type Engine,
  type QueueStats,
  type RunState,
} from './core.js';
export { batchBody } from './delivery.js';
export type { CoreEvents, DropReason, ErrorCode, Listener } from './events.js';
export type { CoreSettings, ResolvedSettings } from './settings.js';
export { check, resolveSettings, ValidationError, validateSettings } from './settings.js';
export { type ShutdownResult, shutdown } from './shutdown.js';
export type { QueueEntry, QueueStorage } from './storage.js';
export { memoryStorage } from './storage.js';
export type { Compress, FetchLike, RequestInitLike, ResponseLike, SendBeacon } from './transport.js';

export const SDK_CORE_VERSION = '0.1.0';
